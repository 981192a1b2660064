"""Per-label Platt calibration of emotion scores, and expected calibration error.

A label's blended score ``p`` becomes ``sigmoid(a * logit(p) + b)``: a temperature (``1 / a``)
and a bias per label, fitted on the dev split by minimising log loss.  The map is increasing
(``a > 0``), so it re-scales scores without reordering them; thresholds are then chosen again on
the calibrated dev scores.  Calibration is what makes "0.8" mean "right about 80% of the time":
the encoder's sigmoid and the class-balanced TF-IDF head both over-state rare labels.  The
fitted maps are stored by :mod:`emoscope.persistence` (``calibration.json``).
"""

from __future__ import annotations

import numpy as np

_EPS = 1e-6


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p) - np.log1p(-p)


def fit_platt(scores: np.ndarray, gold: np.ndarray, iterations: int = 50,
              l2: float = 1e-4) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) per label minimising the log loss of sigmoid(a * logit(score) + b) (Newton's method)."""
    z = logit(np.asarray(scores, dtype=np.float64))
    y = np.asarray(gold, dtype=np.float64)
    a, b = np.ones(z.shape[1]), np.zeros(z.shape[1])
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-np.clip(a * z + b, -60, 60)))
        r, w = p - y, np.maximum(p * (1 - p), 1e-12)
        # a small pull towards (1, 0) keeps labels with no positive in the data finite
        ga, gb = (r * z).mean(0) + l2 * (a - 1), r.mean(0) + l2 * b
        haa, hab, hbb = (w * z * z).mean(0) + l2, (w * z).mean(0), w.mean(0) + l2
        det = haa * hbb - hab * hab
        da, db = (hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det
        a, b = np.maximum(a - da, 1e-3), b - db  # keep the map increasing
        if max(np.abs(da).max(), np.abs(db).max()) < 1e-8:
            break
    return a.astype(np.float32), b.astype(np.float32)


def apply_platt(scores: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (1 / (1 + np.exp(-np.clip(a * logit(scores) + b, -60, 60)))).astype(np.float32)


def shift_logits(scores: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """``scores`` with ``offsets`` added to their logits; a score whose offset is 0 stays exactly
    as it was."""
    out = np.array(scores, dtype=np.float32, copy=True)
    moved = offsets != 0
    if moved.any():
        out[moved] = apply_platt(out[moved], np.float32(1.0), offsets[moved])
    return out
