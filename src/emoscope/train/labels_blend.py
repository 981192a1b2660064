"""The accurate tier's GoEmotions labels from two encoders: the default model's label scores (its
graph and TF-IDF blend) and a fine-tuned larger encoder's own labels head, blended before
calibration as ``(1 - u) * default + u * head`` (``config.labels_head``; docs/training.md).  ``u``
and the thresholds are chosen on GoEmotions dev; a 5-fold cross-validation over dev (``u`` and
thresholds chosen on four folds, scored on the fifth) measures what the blend adds out of sample."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from ..metrics import decide, multilabel_report, tune_thresholds
from ..persistence import read_config, write_config
from ..text.model import EmotionModel
from .calibrate import calibrate_on_dev

LABELS_HEAD = "labels"
WEIGHTS = tuple(round(u, 1) for u in np.arange(0.0, 1.01, 0.1))
FOLDS = 5


def macro_f1(gold: np.ndarray, scores: np.ndarray, thresholds: np.ndarray) -> float:
    return multilabel_report(gold, decide(scores, thresholds), [str(j) for j in range(gold.shape[1])]).macro_f1


def best_weight(gold: np.ndarray, p: np.ndarray, q: np.ndarray, weights: Sequence[float] = WEIGHTS
                ) -> tuple[float, np.ndarray, dict[float, float]]:
    """(u, thresholds) of the best ``(1 - u) p + u q`` on these rows, each label's threshold tuned
    at every ``u`` (ties go to the smaller ``u``), and the macro-F1 of every ``u``."""
    best, by_weight = None, {}
    for u in weights:
        blended = (1 - u) * p + u * q
        thresholds = tune_thresholds(gold, blended)
        by_weight[float(u)] = macro_f1(gold, blended, thresholds)
        if best is None or by_weight[float(u)] > by_weight[best[0]] + 1e-12:
            best = (float(u), thresholds)
    return best[0], best[1], by_weight


def out_of_fold_macro_f1(gold: np.ndarray, p: np.ndarray, q: np.ndarray, weights: Sequence[float] = WEIGHTS,
                         seed: int = 0) -> tuple[float, list[float]]:
    """Macro-F1 over every row scored by the choice (``u`` and thresholds) made on the other
    folds, and the ``u`` of each fold."""
    folds = np.random.default_rng(seed).permutation(len(gold)) % FOLDS
    predicted, chosen = np.zeros(gold.shape, dtype=bool), []
    for k in range(FOLDS):
        u, thresholds, _ = best_weight(gold[folds != k], p[folds != k], q[folds != k], weights)
        held = folds == k
        predicted[held] = decide((1 - u) * p[held] + u * q[held], thresholds)
        chosen.append(u)
    return multilabel_report(gold, predicted, [str(j) for j in range(gold.shape[1])]).macro_f1, chosen


def tuned_labels_head(base: Path, labels: Sequence[str]) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """(weight (hidden, labels), bias) of the labels head a fine-tuned encoder was saved with
    (:class:`~emoscope.train.modeling.MeanPooledEncoder`'s ``heads.pt``), when it has one for
    these labels; None for a base model read frozen."""
    path = Path(base) / "heads.pt"
    if not path.is_file():
        return None
    import torch

    state = torch.load(path).get(LABELS_HEAD)
    if state is None or state["weight"].shape[0] != len(labels):
        return None
    return state["weight"].numpy().T.copy(), state["bias"].numpy().copy()


def blend_labels_head(directory: Path, dev, num_threads: Optional[int] = None) -> dict:
    """Choose ``u`` for the model in ``directory`` (whose config names its labels head) on ``dev``,
    write it, calibrate and choose thresholds again on dev; returns what was measured."""
    model = EmotionModel.load(directory, num_threads=num_threads)
    if model.config.labels_head_weight:  # the labels model's scores are read with the head's weight at 0
        raise ValueError(f"{directory}: the labels head's weight is set already")
    parts = model.component_scores(dev.texts)
    gold = dev.targets.astype(bool)
    p, q = model.blend(parts, calibrated=False), parts.heads[model.config.labels_head]
    u, _, by_weight = best_weight(gold, p, q)
    record = {"weights": {str(w): round(f1, 4) for w, f1 in by_weight.items()}, "weight": u,
              "dev_macro_f1": round(by_weight[u], 4)}
    cv_default, _ = out_of_fold_macro_f1(gold, p, q, (0.0,))
    cv_blend, chosen = out_of_fold_macro_f1(gold, p, q)
    record.update(cv_default=round(cv_default, 4), cv_blend=round(cv_blend, 4), cv_weights=chosen)
    config = read_config(directory)
    config.labels_head_weight = u
    write_config(directory, config)
    record["calibration"] = calibrate_on_dev(directory, dev, num_threads=num_threads)
    return record
