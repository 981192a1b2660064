"""Evaluation of a model on labelled texts: per-label scores, macro/micro F1, rollup scores."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .metrics import MultiLabelReport, decide, multilabel_report
from .taxonomy import load_rollup


@dataclass
class EvaluationReport:
    fine: MultiLabelReport
    rollups: dict[str, MultiLabelReport] = field(default_factory=dict)
    n_texts: int = 0

    def to_dict(self) -> dict:
        return {"n_texts": self.n_texts, **self.fine.to_dict(),
                "rollups": {name: r.to_dict() for name, r in self.rollups.items()}}


def evaluate_predictions(gold: np.ndarray, predicted: np.ndarray, labels: Sequence[str],
                         rollups: Sequence[str] = ("ekman", "sentiment")) -> EvaluationReport:
    """Score label decisions; a rollup category is right when any of its fine labels is."""
    report = EvaluationReport(multilabel_report(gold, predicted, labels), n_texts=len(gold))
    for spec in rollups:
        rollup = load_rollup(spec)
        report.rollups[rollup.name] = multilabel_report(
            rollup.predicted(gold, labels), rollup.predicted(predicted, labels), rollup.categories)
    return report


def evaluate_scores(gold: np.ndarray, scores: np.ndarray, thresholds: np.ndarray,
                    labels: Sequence[str], rollups: Sequence[str] = ("ekman", "sentiment")
                    ) -> EvaluationReport:
    return evaluate_predictions(gold, decide(scores, thresholds), labels, rollups)


def evaluate_model(model, texts: Sequence[str], gold: np.ndarray,
                   rollups: Sequence[str] = ("ekman", "sentiment")) -> EvaluationReport:
    """Evaluate an :class:`~emoscope.model.EmotionModel` exactly as :meth:`predict` decides."""
    return evaluate_predictions(gold, model.predict_labels(texts), model.labels, rollups)
