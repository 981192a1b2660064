"""The default model's GoEmotions labels blended with a fine-tuned all-mpnet-base-v2's (issue 17: the
accurate tier needs GoEmotions test macro-F1 0.54, the default model has 0.52).

    python tools/experiments/mpnet_labels_blend.py --data ../shared/datasets/goemotions \
        --checkpoint runs/mpnet-all/checkpoint --work runs/mpnet-all --threads 2 [--report]

``p = (1 - u) * p_default + u * p_mpnet``: ``p_default`` the shipped default model's label
probabilities (its graph and TF-IDF blend, before calibration and thresholds), ``p_mpnet`` the
sigmoid of the fine-tuned encoder's labels head (``tools/experiments/mpnet_top_layers.py``; fp32
torch), ``u`` from 0 to 1 by 0.1, a threshold per label.  The gain is measured by 5-fold
cross-validation over GoEmotions dev (``u`` and thresholds chosen on four folds, scored on the
fifth) against ``u = 0`` scored the same way.  Rule, written before any score (2026-12-02 16:33
UTC, docs/experiments/mpnet-labels-blend.md): worth building into the tier only if that gain is at
least 0.015.  ``--report`` also scores GoEmotions test, only after the decision.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from emoscope.metrics import tune_thresholds
from emoscope.text.encoder import sigmoid
from emoscope.text.model import EmotionModel
from emoscope.train.arguments import GoEmotionsArguments
from emoscope.train.goemotions import read_goemotions_splits
from emoscope.train.labels_blend import best_weight, macro_f1, out_of_fold_macro_f1


def default_probabilities(texts, threads: int) -> np.ndarray:
    model = EmotionModel.load("fast", num_threads=threads)
    return model.blend(model.component_scores(texts), calibrated=False)


def mpnet_probabilities(checkpoint: Path, texts, threads: int) -> np.ndarray:
    """The fine-tuned encoder's labels head, fp32, texts sorted by length in batches of 64."""
    import torch

    from emoscope.train.modeling import MeanPooledEncoder
    from emoscope.train.top_layers import tokenize_with_specials
    from emoscope.train.trainer import pad

    torch.set_num_threads(threads)
    model = MeanPooledEncoder.from_pretrained(checkpoint)
    ids = tokenize_with_specials(checkpoint / "tokenizer.json", texts, 128)
    out, order = np.zeros((len(ids), model.classifier.out_features), np.float32), np.argsort([len(x) for x in ids])
    with torch.no_grad():
        for b in range(0, len(order), 64):
            batch = order[b:b + 64]
            input_ids, mask = pad([ids[i] for i in batch])
            out[batch] = model.classifier(model.pooled(input_ids, mask)).numpy()
    return sigmoid(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="GoEmotions folder")
    parser.add_argument("--checkpoint", type=Path, required=True, help="mpnet_top_layers.py's checkpoint")
    parser.add_argument("--work", type=Path, required=True, help="where the scores are cached")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--report", action="store_true", help="also score GoEmotions test (after the decision)")
    options = parser.parse_args()
    _, dev, test = read_goemotions_splits(options.data, GoEmotionsArguments())
    labels = EmotionModel.load("fast").labels
    if list(dev.labels) != labels:
        raise SystemExit(f"label order differs: {dev.labels} vs {labels}")
    splits = {"dev": dev, **({"test": test} if options.report else {})}
    scores = {}
    for name, split in splits.items():
        cache = options.work / f"labels-blend-{name}.npz"
        if not cache.exists():
            np.savez(cache, p=default_probabilities(split.texts, options.threads),
                     q=mpnet_probabilities(options.checkpoint, split.texts, options.threads))
        scores[name] = np.load(cache)
    gold, p, q = dev.targets.astype(bool), scores["dev"]["p"], scores["dev"]["q"]
    u, thresholds, by_weight = best_weight(gold, p, q)
    record = {"dev_in_sample": {str(w): round(f1, 4) for w, f1 in by_weight.items()}}
    print("GoEmotions dev macro-F1 by u (thresholds on dev, in sample):", record["dev_in_sample"])
    base, _ = out_of_fold_macro_f1(gold, p, q, (0.0,))
    blend, chosen = out_of_fold_macro_f1(gold, p, q)
    record.update(cv_u0=round(base, 4), cv_blend=round(blend, 4), cv_gain=round(blend - base, 4), cv_weights=chosen)
    print(f"5-fold CV over dev: u = 0 {base:.4f}, blend {blend:.4f} (gain {blend - base:+.4f}; u per fold {chosen})")
    if options.report:
        t = scores["test"]
        tgold = test.targets.astype(bool)
        record["test"] = {"u": u, "u0": round(macro_f1(tgold, t["p"], tune_thresholds(gold, p)), 4),
                          "blend": round(macro_f1(tgold, (1 - u) * t["p"] + u * t["q"], thresholds), 4),
                          "mpnet_alone": round(macro_f1(tgold, t["q"], tune_thresholds(gold, q)), 4)}
        print("GoEmotions test (reported only; u and thresholds from dev):", record["test"])
    (options.work / "labels-blend.json").write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
