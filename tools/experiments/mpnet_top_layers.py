"""all-mpnet-base-v2 with its top layers fine-tuned on GoEmotions, on 2 CPU cores: the first stage
of an accurate tier that is fine-tuned rather than read frozen (issue 17; docs/training.md).

    python tools/experiments/mpnet_top_layers.py --data ../shared/datasets/goemotions \
        --work runs/mpnet-top6 --first 6 --epochs 3 --threads 2

The accurate tier needs GoEmotions test macro-F1 >= 0.54; a frozen mpnet with ridge heads does
not get there (docs/experiments/accurate-blend.md), and fine-tuning it whole does not fit 2 cores.
:mod:`emoscope.train.top_layers` caches the hidden states entering layer ``--first`` once and
trains the layers above under bfloat16 autocast, resuming from the end of its last epoch when
rerun.  The labels' loss is the shipped default's (positive examples weighed by (negatives /
positives) ** 0.5, at most 10).  After every epoch it scores GoEmotions dev (the encoder's head
alone, each label at its best threshold on dev, as `train goemotions` compares candidates);
``--reference`` scores the shipped default's fine-tuned MiniLM the same way first.

Rule, written before any score (2026-12-02, 06:22 UTC): build the rest of the tier on this encoder
(export, TF-IDF blend, the other heads) only if its dev macro-F1 beats the MiniLM reference's by
0.02 or more; the tier needs test 0.54 where the default has 0.52.  Test is not read here.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from emoscope.metrics import decide, multilabel_report, tune_thresholds
from emoscope.text.encoder import sigmoid
from emoscope.train.arguments import FineTuneArguments, GoEmotionsArguments
from emoscope.train.base_models import resolve_base_model
from emoscope.train.goemotions import labels_task, read_goemotions_splits
from emoscope.train.top_layers import fine_tune_top_layers_or_reuse


def dev_macro_f1(dev, scores: np.ndarray) -> float:
    probabilities = sigmoid(scores)
    return multilabel_report(dev.targets, decide(probabilities, tune_thresholds(dev.targets, probabilities)),
                             dev.labels).macro_f1


def reference_scores(checkpoint: Path, texts, threads: int) -> np.ndarray:
    """The shipped default's fine-tuned MiniLM (torch, fp32): its labels head on dev."""
    import torch

    from emoscope.train.modeling import BertForMeanPooledClassification
    from emoscope.train.trainer import pad, tokenize

    torch.set_num_threads(threads)
    model = BertForMeanPooledClassification.from_pretrained(checkpoint, attn_implementation="eager").eval()
    ids = tokenize(checkpoint / "tokenizer.json", texts, 128)
    out = []
    with torch.no_grad():
        for b in range(0, len(ids), 64):
            input_ids, mask = pad(ids[b:b + 64])
            out.append(model.classifier(model.pooled(input_ids, mask)).numpy())
    return np.concatenate(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="GoEmotions folder")
    parser.add_argument("--work", type=Path, default=Path("runs/mpnet-top6"))
    parser.add_argument("--first", type=int, default=6, help="the first layer fine-tuned (0-based; 12 layers)")
    parser.add_argument("--epochs", type=float, default=3.0)
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-train-samples", type=int, default=None, help="smoke runs")
    parser.add_argument("--reference", type=Path, default=None, help="a train goemotions checkpoint to score first")
    options = parser.parse_args()
    started = time.perf_counter()
    options.work.mkdir(parents=True, exist_ok=True)
    base, _ = resolve_base_model("all-mpnet-base-v2")
    args = FineTuneArguments(epochs=options.epochs, learning_rate=options.learning_rate, num_threads=options.threads,
                             max_train_samples=options.max_train_samples, max_eval_samples=options.max_train_samples)
    train, dev, _ = read_goemotions_splits(options.data, GoEmotionsArguments(
        max_train_samples=options.max_train_samples, max_eval_samples=options.max_train_samples))
    record = {"arguments": {**vars(options), "data": str(options.data), "work": str(options.work),
                            "reference": str(options.reference)}}
    if options.reference:
        record["reference_dev_macro_f1"] = round(dev_macro_f1(dev, reference_scores(options.reference, dev.texts,
                                                                                     options.threads)), 4)
        print("reference (MiniLM, shipped default's fine-tune) dev macro-F1:", record["reference_dev_macro_f1"], flush=True)
    task = labels_task(train, 0.5, 10.0)

    def epoch_end(epoch: int, score) -> dict:
        f1 = round(dev_macro_f1(dev, score(dev.texts, "labels")), 4)
        print(f"epoch {epoch}: GoEmotions dev macro-F1 {f1} ({time.perf_counter() - started:.0f}s)", flush=True)
        return {"epoch": epoch, "dev_macro_f1": f1}

    _, info = fine_tune_top_layers_or_reuse(options.work / "checkpoint", base, [task], {"labels": len(train.labels)},
                                            options.first, args, options.work, recipe={"data": str(options.data)},
                                            progress=lambda m: print(m, flush=True), epoch_end=epoch_end)
    record.update(info=info, seconds=round(time.perf_counter() - started))
    (options.work / "result.json").write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record["info"]))


if __name__ == "__main__":
    main()
