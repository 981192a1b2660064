"""Label decisions and their scores (:mod:`emoscope.metrics`)."""

import numpy as np
import pytest

from emoscope.metrics import decide, multilabel_report, tune_thresholds


def test_decide_gives_every_row_a_label():
    thresholds = np.array([0.5, 0.2, 0.9])
    scores = np.array([[0.6, 0.3, 0.1], [0.1, 0.1, 0.8], [0.0, 0.0, 0.0]])
    decided = decide(scores, thresholds)
    assert decided[0].tolist() == [True, True, False]
    assert decided[1].tolist() == [False, False, True]  # 0.8/0.9 is the best ratio
    assert decided[2].sum() == 1


def test_report_by_hand():
    gold = np.array([[1, 0], [1, 1], [0, 1], [0, 0]], dtype=bool)
    pred = np.array([[1, 0], [0, 1], [1, 1], [0, 0]], dtype=bool)
    report = multilabel_report(gold, pred, ["a", "b"])
    a, b = report.per_label
    assert (a.precision, a.recall, a.f1, a.support) == (0.5, 0.5, 0.5, 2)
    assert (b.precision, b.recall, b.f1) == (1.0, 1.0, 1.0)
    assert report.macro_f1 == pytest.approx(0.75)
    assert report.micro_f1 == pytest.approx(2 * 0.75 * 0.75 / 1.5)  # tp 3, fp 1, fn 1


def test_tune_thresholds_separates_classes():
    gold = np.array([[1], [1], [0], [0]], dtype=bool)
    scores = np.array([[0.8], [0.6], [0.3], [0.1]])
    t = tune_thresholds(gold, scores)[0]
    assert 0.3 < t <= 0.6
