"""The dialogue model fused late with the default model's basic-emotion head (docs/experiments/dialogue-fusion.md).

    python tools/experiments/dialogue_fusion.py --data ../shared/datasets/meld [--test]

The rule, written before any score: the shipped ``meld-context-minilm`` at its own window (and its
TF-IDF blend) gives each turn seven probabilities; the default model's Ekman rollup of the same
turn alone gives seven scores (its six basic-emotion scores and neutral = 1 - their maximum),
normalised to sum 1.  p = (1 - u) * dialogue + u * default, u from 0 to 0.5 by 0.05, chosen on MELD
dev weighted-F1 with context; worth building only if dev rises by >= 0.005 and a 5-fold
cross-validation over dev dialogues (u chosen on four folds) by >= 0.003.  The turn-alone
ablation gets the same u.  ``--test`` reports MELD test (it decides nothing).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from dialogue_priors import scores

from emoscope import ContextEmotionModel, EmotionModel
from emoscope.data.meld import read_meld
from emoscope.metrics import class_f1, weighted_f1
from emoscope.text.context import repair_text

WEIGHTS = np.round(np.arange(0.0, 0.501, 0.05), 2)


def default_scores(labels: list[str], data: Path, split: str, threads: int) -> np.ndarray:
    model = EmotionModel.load("fast", num_threads=threads)
    rollups = [r.rollup("ekman").scores for r in model.predict([repair_text(t) for t in read_meld(data, split).texts])]
    q = np.array([[scores[label] for label in labels] for scores in rollups])
    return q / q.sum(axis=1, keepdims=True)


def best_weight(p: np.ndarray, q: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
    n = p.shape[1]
    marks = [(weighted_f1(gold, ((1 - u) * p + u * q).argmax(axis=1), n), -u) for u in WEIGHTS]
    score, u = max(marks)
    return -u, score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="the MELD folder")
    parser.add_argument("--test", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    model = ContextEmotionModel.load(num_threads=args.threads)
    labels, k, n = list(model.labels), model.context_turns, len(model.labels)
    dev, gold, dialogue = scores(model, args.data, "dev")
    q = default_scores(labels, args.data, "dev", args.threads)
    base = weighted_f1(gold, dev[k].argmax(axis=1), n)
    u, best = best_weight(dev[k], q, gold)
    print(f"dev weighted-F1 with context: dialogue model {base:.4f}, fused {best:.4f} ({best - base:+.4f}) at u = {u:g}")
    order = np.random.default_rng(42).permutation(np.unique(dialogue))
    fold = dict(zip(order, np.arange(len(order)) % 5))
    folds = np.array([fold[d] for d in dialogue])
    predicted = np.zeros(len(gold), dtype=int)
    for f in range(5):
        fold_u, _ = best_weight(dev[k][folds != f], q[folds != f], gold[folds != f])
        predicted[folds == f] = ((1 - fold_u) * dev[k][folds == f] + fold_u * q[folds == f]).argmax(axis=1)
    cv = weighted_f1(gold, predicted, n)
    print(f"dev 5-fold CV over dialogues: {base:.4f} -> {cv:.4f} ({cv - base:+.4f})")
    print("worth building" if best - base >= 0.005 and cv - base >= 0.003 else "not worth building (the rule)")
    if args.test:
        test, test_gold, _ = scores(model, args.data, "test")
        q_test = default_scores(labels, args.data, "test", args.threads)
        for name, window in (("with context", k), ("turn alone", 0)):
            shipped = test[window].argmax(axis=1)
            fused = ((1 - u) * test[window] + u * q_test).argmax(axis=1)
            print(f"test {name}: shipped {weighted_f1(test_gold, shipped, n):.4f}, fused "
                  f"{weighted_f1(test_gold, fused, n):.4f}; fear F1 {class_f1(test_gold, shipped, labels.index('fear')):.3f}"
                  f" -> {class_f1(test_gold, fused, labels.index('fear')):.3f}; classes predicted {len(set(fused))}")


if __name__ == "__main__":
    main()
