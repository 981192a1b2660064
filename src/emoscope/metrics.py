"""Metrics and the decision rule shared by prediction, training and evaluation: multi-label
reports, per-label thresholds, weighted F1, Pearson r and expected calibration error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np


def decide(scores: np.ndarray, thresholds: np.ndarray, at_least_one: bool = True) -> np.ndarray:
    """Labels predicted for each row: every score at or above its label's threshold.

    With ``at_least_one`` a row where no label reaches its threshold gets the single label whose
    score is highest relative to its threshold, so every text receives at least one label (as
    every GoEmotions example has at least one).
    """
    scores = np.atleast_2d(scores)
    predicted = scores >= thresholds[None, :]
    if not at_least_one:
        return predicted
    empty = ~predicted.any(axis=1)
    if empty.any():
        ratio = scores[empty] / np.maximum(thresholds[None, :], 1e-6)
        predicted[np.flatnonzero(empty), ratio.argmax(axis=1)] = True
    return predicted


@dataclass(frozen=True)
class LabelScore:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class MultiLabelReport:
    per_label: list[LabelScore]
    macro_f1: float
    micro_f1: float
    macro_precision: float
    macro_recall: float

    def to_dict(self) -> dict:
        return {
            "macro_f1": self.macro_f1,
            "micro_f1": self.micro_f1,
            "macro_precision": self.macro_precision,
            "macro_recall": self.macro_recall,
            "per_label": [vars(s) for s in self.per_label],
        }


def _prf(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray):
    precision = np.divide(tp, tp + fp, out=np.zeros_like(tp, dtype=float), where=(tp + fp) > 0)
    recall = np.divide(tp, tp + fn, out=np.zeros_like(tp, dtype=float), where=(tp + fn) > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(denom), where=denom > 0)
    return precision, recall, f1


def multilabel_report(gold: np.ndarray, predicted: np.ndarray,
                      labels: Sequence[str]) -> MultiLabelReport:
    gold = np.asarray(gold, dtype=bool)
    predicted = np.asarray(predicted, dtype=bool)
    tp = (gold & predicted).sum(axis=0).astype(float)
    fp = (~gold & predicted).sum(axis=0).astype(float)
    fn = (gold & ~predicted).sum(axis=0).astype(float)
    precision, recall, f1 = _prf(tp, fp, fn)
    _, _, micro = _prf(np.array([tp.sum()]), np.array([fp.sum()]), np.array([fn.sum()]))
    per_label = [
        LabelScore(label, float(p), float(r), float(f), int(s))
        for label, p, r, f, s in zip(labels, precision, recall, f1, gold.sum(axis=0))
    ]
    return MultiLabelReport(per_label, float(f1.mean()), float(micro[0]),
                            float(precision.mean()), float(recall.mean()))


THRESHOLD_GRID = np.round(np.arange(0.02, 0.96, 0.01), 2)


def tune_thresholds(gold: np.ndarray, scores: np.ndarray,
                    grid: np.ndarray = THRESHOLD_GRID) -> np.ndarray:
    """One threshold per label maximising that label's F1 on (dev) data."""
    gold = np.asarray(gold, dtype=bool)
    out = np.empty(gold.shape[1], dtype=np.float32)
    for j in range(gold.shape[1]):
        above = scores[:, j][:, None] >= grid[None, :]
        tp = (above & gold[:, j][:, None]).sum(axis=0).astype(float)
        fp = (above & ~gold[:, j][:, None]).sum(axis=0).astype(float)
        fn = gold[:, j].sum() - tp
        _, _, f1 = _prf(tp, fp, fn)
        out[j] = grid[int(np.argmax(f1))]
    return out


def tune_thresholds_masked(gold: np.ndarray, scores: np.ndarray,
                           fallback: Optional[np.ndarray] = None, missing: int = -1) -> np.ndarray:
    """Per label, the threshold maximising its F1 over the rows annotated for it (``gold`` holds
    ``missing`` where a row was not); ``fallback``'s value for a label with no positive row."""
    out = np.empty(gold.shape[1], dtype=np.float32)
    for j in range(gold.shape[1]):
        rows = gold[:, j] != missing
        if fallback is not None and not (gold[rows, j] == 1).any():
            out[j] = fallback[j]
            continue
        out[j] = tune_thresholds(gold[rows, j:j + 1] == 1, scores[rows, j:j + 1])[0]
    return out


def masked_macro_f1(gold: np.ndarray, predicted: np.ndarray, missing: int = -1) -> float:
    """Macro-F1 over the labels with a positive row, each over the rows annotated for it (``gold``
    holds ``missing`` where a row was not)."""
    f1 = []
    for j in range(gold.shape[1]):
        rows = gold[:, j] != missing
        if not rows.any() or not gold[rows, j].any():
            continue
        tp = np.sum(predicted[rows, j] & (gold[rows, j] == 1))
        f1.append(2 * tp / max(1, np.sum(predicted[rows, j]) + np.sum(gold[rows, j] == 1)))
    return float(np.mean(f1))


def weighted_f1(gold: np.ndarray, predicted: np.ndarray, n_labels: int) -> float:
    """F1 per class averaged with the classes' support as weights (MELD's reported metric)."""
    return float(sum(np.sum(gold == c) * class_f1(gold, predicted, c) for c in range(n_labels))
                 / max(len(gold), 1))


def class_f1(gold: np.ndarray, predicted: np.ndarray, c: int) -> float:
    tp = np.sum((gold == c) & (predicted == c))
    denom = np.sum(gold == c) + np.sum(predicted == c)
    return float(2 * tp / denom) if denom else 0.0


def confusion_matrix(gold: np.ndarray, predicted: np.ndarray, n_labels: int) -> np.ndarray:
    """Counts of (gold, predicted) class indices: rows gold, columns predicted."""
    gold, predicted = np.asarray(gold, dtype=int), np.asarray(predicted, dtype=int)
    return np.bincount(gold * n_labels + predicted, minlength=n_labels * n_labels).reshape(n_labels, n_labels)


def pearson_r(x: np.ndarray, y: np.ndarray) -> float:
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    x, y = x - x.mean(), y - y.mean()
    denom = np.sqrt((x * x).sum() * (y * y).sum())
    return float((x * y).sum() / denom) if denom else 0.0


def expected_calibration_error(scores: np.ndarray, gold: np.ndarray, bins: int = 15) -> float:
    """ECE over every (text, label) score: bins of equal width on [0, 1], each bin's gap between
    mean score and share of positives, weighted by its size."""
    p = np.asarray(scores, dtype=np.float64).ravel()
    y = np.asarray(gold, dtype=np.float64).ravel()
    index = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for k in range(bins):
        inside = index == k
        if inside.any():
            total += inside.sum() * abs(p[inside].mean() - y[inside].mean())
    return float(total / max(len(p), 1))
