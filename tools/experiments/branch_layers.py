"""A second copy of the default encoder's top layers, fine-tuned for the basic emotions (and VAD and
intensity) while the GoEmotions path stays frozen (docs/experiments/branch-layers.md).

    python tools/experiments/branch_layers.py --data ../shared/datasets --work runs/branch-layers \
        --tasks basic [--tasks basic,vad,intensity] --threads 2

The default model reads every head off one frozen GoEmotions encoder; fine-tuning that encoder on
the other tasks costs GoEmotions macro-F1 (docs/experiments/multitask.md). A branch would not: the
embeddings and layers 1-4 stay shared and frozen, layers 5-6 read on unchanged for the GoEmotions
labels, and a copy of layers 5-6 is fine-tuned for the other tasks (two more layers a pass: about
a third more time, 3.5 MB more as int8).  Measured in fp32 torch before building anything, with
the rule fixed before any score:

1. from ``runs/goemotions-minilm-pw/checkpoint`` (the shipped encoder's), the branch learns the
   ``--tasks``: the basic emotions on the recipe's rows (SemEval English train less its held-out
   tenth, three times; MELD train turns; masked binary cross-entropy), VAD on EmoBank train and
   intensity on track B English train (squared error on standardised targets), one loss a row;
   AdamW at 8e-5, batches of 32, linear warm-up and decay;
2. after each epoch the recipe's ridge heads are refitted on the embeddings' and layers 1-4's mean
   pools and the branch's (the basic head: ``fit_basic_head``'s penalty grid and thresholds on the
   held-out tenth and MELD dev; VAD: penalty on EmoBank dev; intensity: 5-fold CV on train), and
   against the same heads on the unbranched layers;
3. ``--tasks basic``: worth building only if the basic head's held-out macro-F1 beats the
   unbranched one by 0.01; ``basic,vad,intensity``: only if the mean EmoBank dev r over V, A, D
   beats it by 0.01 while intensity CV r and the basic held-out macro-F1 fall by at most 0.005.
   SemEval English dev, EmoBank test and track B dev are reported; they decide nothing.
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path

import numpy as np

from emoscope.data import emobank as emobank_data
from emoscope.data import semeval
from emoscope.data.labelled import NOT_ANNOTATED
from emoscope.metrics import masked_macro_f1, pearson_r
from emoscope.text.context import repair_text
from emoscope.train.arguments import FastArguments, HeadsArguments
from emoscope.train.fast import BASIC, basic_targets, fit_basic_head, read_multidomain
from emoscope.train.features import cross_validated_predictions, fit_ridge
from emoscope.train.trainer import pad, tokenize

SHARED = 4  # transformer layers shared (and frozen) below the branch
WIDTH = 384


def mean_pool(hidden, mask):
    mask = mask.unsqueeze(-1).float()
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)


def additive_mask(mask):
    import torch

    return (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min


def run_layers(layers, hidden, mask):
    """The layers' output and each layer's mean pool."""
    pools, extended = [], additive_mask(mask)
    for layer in layers:
        out = layer(hidden, attention_mask=extended)
        hidden = out[0] if isinstance(out, tuple) else out
        pools.append(mean_pool(hidden, mask))
    return hidden, pools


def encode_shared(bert, tokenizer: Path, texts: list[str]):
    """Every hidden state's mean pool (float64, the unbranched features) and the states below the
    branch (with their masks, in batches of 64)."""
    import torch

    ids, pools, states = tokenize(tokenizer, texts, 64), [], []
    with torch.no_grad():
        for i in range(0, len(ids), 64):
            x, m = pad(ids[i:i + 64])
            hidden = bert(input_ids=x, attention_mask=m, output_hidden_states=True).hidden_states
            pools.append(torch.cat([mean_pool(h, m) for h in hidden], -1))
            states.append((hidden[SHARED], m))
    return torch.cat(pools).numpy().astype(np.float64), states


def evaluate(features: dict, data, semeval_dev, emobank, intensity, fast: FastArguments, alphas) -> dict:
    """The recipe's heads refitted on ``features``: basic (held-out and SemEval dev macro-F1), VAD
    (EmoBank dev and test r), intensity (5-fold CV r on train, dev r)."""
    from emoscope.text.encoder import sigmoid

    fit, thresholds, record = fit_basic_head(features, data, fast)  # the recipe's own head and choice
    dev_targets, dev_mask = basic_targets(semeval_dev)
    dev_gold = np.where(dev_mask > 0, dev_targets, NOT_ANNOTATED)
    dev = masked_macro_f1(dev_gold, sigmoid(fit.predict(features["semeval_dev"])) >= np.array(thresholds),
                          NOT_ANNOTATED)
    out = {"basic_held_out_macro_f1": max(record["held_out_macro_f1_by_alpha"].values()),
           "semeval_dev_ekman_macro_f1": dev}
    vad = fit_ridge(features["emobank_train"], emobank["train"].targets, alphas,
                    dev=(features["emobank_dev"], emobank["dev"].targets))
    for split in ("dev", "test"):
        predicted = vad.predict(features[f"emobank_{split}"])
        out[f"emobank_{split}_r"] = [pearson_r(predicted[:, j], emobank[split].targets[:, j]) for j in range(3)]
    train = intensity["train"].targets
    folds = cross_validated_predictions(features["intensity_train"], train, alphas, folds=5, seed=42)
    r = np.array([[pearson_r(p[:, j], train[:, j]) for j in range(train.shape[1])] for p in folds])
    out["intensity_cv_r"] = float(np.nanmax(r, axis=0).mean())
    head = fit_ridge(features["intensity_train"], train, alphas, folds=5, seed=42)
    out["intensity_dev_r"] = float(np.mean([pearson_r(head.predict(features["intensity_dev"])[:, j],
                                                      intensity["dev"].targets[:, j]) for j in range(train.shape[1])]))
    return {k: np.round(v, 4).tolist() if isinstance(v, list) else round(float(v), 4) for k, v in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the shared datasets folder")
    parser.add_argument("--checkpoint", type=Path, default=Path("runs/goemotions-minilm-pw/checkpoint"))
    parser.add_argument("--work", type=Path, default=Path("runs/branch-layers"))
    parser.add_argument("--tasks", default="basic", help="basic, or basic,vad,intensity")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    import torch
    from torch import nn
    from transformers import BertModel

    torch.set_num_threads(args.threads)
    torch.manual_seed(42)
    tasks = args.tasks.split(",")
    fast, alphas = FastArguments(seed=42), HeadsArguments().alphas
    data = read_multidomain(args.data / "goemotions", args.data / "semeval2025-task11/track_a", args.data / "meld", fast)
    semeval_dev = semeval.read_track_a_file(args.data / "semeval2025-task11/track_a/dev/eng.csv")
    emobank = emobank_data.read_emobank(args.data / "emobank")
    intensity = semeval.read_intensity(args.data / "semeval2025-task11/track_b")
    texts = {"semeval_train": data.semeval_train.texts, "semeval_holdout": data.semeval_holdout.texts,
             "meld_train": [repair_text(t) for t in data.meld_train.texts],
             "meld_dev": [repair_text(t) for t in data.meld_dev.texts], "semeval_dev": semeval_dev.texts,
             **{f"emobank_{s}": emobank[s].texts for s in ("train", "dev", "test")},
             **{f"intensity_{s}": intensity[s].texts for s in ("train", "dev")}}
    bert = BertModel.from_pretrained(args.checkpoint, add_pooling_layer=False).eval()
    pools, states = {}, {}
    for name, rows in texts.items():
        pools[name], states[name] = encode_shared(bert, args.checkpoint / "tokenizer.json", rows)
    results = {"unbranched": evaluate(pools, data, semeval_dev, emobank, intensity, fast, alphas)}
    print("unbranched", json.dumps(results["unbranched"]), flush=True)

    vad = emobank["train"].targets.astype(np.float32)
    strength = intensity["train"].targets.astype(np.float32)
    targets = {"semeval_train": ("basic", *basic_targets(data.semeval_train)),
               "meld_train": ("basic", *basic_targets(data.meld_train))}
    if "vad" in tasks:
        standard = (vad - vad.mean(0)) / vad.std(0)
        targets["emobank_train"] = ("vad", standard, np.ones_like(standard))
    if "intensity" in tasks:
        standard = (strength - strength.mean(0)) / strength.std(0)
        targets["intensity_train"] = ("intensity", standard, np.ones_like(standard))
    rows = [(name, i) for name in targets for _ in range(3 if name == "semeval_train" else 1)
            for i in range(len(targets[name][1]))]
    single = {name: [(h[j:j + 1], m[j:j + 1]) for h, m in states[name] for j in range(h.shape[0])] for name in targets}
    branch = nn.ModuleList([copy.deepcopy(bert.encoder.layer[i]) for i in range(SHARED, len(bert.encoder.layer))])
    heads = nn.ModuleDict({"basic": nn.Linear(WIDTH, len(BASIC)), "vad": nn.Linear(WIDTH, 3),
                           "intensity": nn.Linear(WIDTH, strength.shape[1])})
    parameters = list(branch.parameters()) + list(heads.parameters())
    optimizer = torch.optim.AdamW(parameters, lr=8e-5, weight_decay=0.01)
    steps = (len(rows) + 31) // 32
    total = args.epochs * steps
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, s / (0.06 * total)) * max(0.0, (total - s) / (total * 0.94)))
    binary = nn.BCEWithLogitsLoss(reduction="none")
    rng = np.random.default_rng(42)
    for epoch in range(1, args.epochs + 1):
        branch.train()
        order, started = rng.permutation(len(rows)), time.perf_counter()
        for step in range(steps):
            batch = [rows[i] for i in order[step * 32:(step + 1) * 32]]
            items = [single[name][i] for name, i in batch]
            length = max(h.shape[1] for h, _ in items)
            hidden, mask = torch.zeros(len(items), length, WIDTH), torch.zeros(len(items), length, dtype=torch.long)
            for j, (h, m) in enumerate(items):
                hidden[j, :h.shape[1]], mask[j, :h.shape[1]] = h[0], m[0]
            top, _ = run_layers(branch, hidden, mask)
            pooled = nn.functional.dropout(mean_pool(top, mask), 0.1, True)
            loss = 0.0
            for task in ("basic", "vad", "intensity"):
                chosen = [j for j, (name, _) in enumerate(batch) if targets[name][0] == task]
                if not chosen:
                    continue
                y = torch.from_numpy(np.stack([targets[batch[j][0]][1][batch[j][1]] for j in chosen]))
                weight = torch.from_numpy(np.stack([targets[batch[j][0]][2][batch[j][1]] for j in chosen]))
                z = heads[task](pooled[chosen])
                each = binary(z, y) if task == "basic" else (z - y) ** 2
                loss = loss + ((each * weight).sum(1) / weight.sum(1).clamp(min=1)).sum() / len(batch)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(parameters, 1.0)
            optimizer.step()
            scheduler.step()
        branch.eval()
        with torch.no_grad():
            branched = {name: np.concatenate([pools[name][:, :WIDTH * (SHARED + 1)], torch.cat(
                [torch.cat(run_layers(branch, h, m)[1], -1) for h, m in states[name]]).numpy()], 1)
                for name in texts}
        results[f"epoch {epoch}"] = evaluate(branched, data, semeval_dev, emobank, intensity, fast, alphas)
        print(f"epoch {epoch} ({time.perf_counter() - started:.0f}s)", json.dumps(results[f"epoch {epoch}"]), flush=True)
        args.work.mkdir(parents=True, exist_ok=True)
        (args.work / f"results-{'-'.join(tasks)}.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
