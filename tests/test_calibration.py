"""Per-label Platt calibration (:mod:`emoscope.calibration`) judged by the expected calibration error."""

import numpy as np

from emoscope.calibration import apply_platt, fit_platt
from emoscope.metrics import expected_calibration_error


def test_platt_calibration_fixes_overconfident_scores_and_keeps_their_order():
    rng = np.random.default_rng(0)
    gold = rng.random((20000, 3)) < np.array([0.05, 0.2, 0.5])
    scores = np.clip(np.where(gold, 0.7, 0.4) + rng.normal(0, 0.15, gold.shape), 0.01, 0.99)
    a, b = fit_platt(scores, gold)
    calibrated = apply_platt(scores, a, b)
    before, after = expected_calibration_error(scores, gold), expected_calibration_error(calibrated, gold)
    assert after < 0.02 < before
    for j in range(3):  # the map is increasing: the ranking of texts per label is kept
        order = np.argsort(scores[:, j])
        assert (np.diff(calibrated[order, j]) >= 0).all()
    perfect = rng.random(50000)
    assert expected_calibration_error(perfect, rng.random(50000) < perfect) < 0.01
