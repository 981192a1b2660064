"""Label metrics of a model on labelled texts: GoEmotions (per label, rollups, calibration error)
and any labelled table (multi-label, single-label, regression)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from ..card import CardSection, CardTable
from ..metrics import (MultiLabelReport, class_f1, decide, expected_calibration_error, multilabel_report,
                       pearson_r, weighted_f1)
from ..persistence import Task
from ..taxonomy import load_rollup


@dataclass
class EvaluationReport:
    fine: MultiLabelReport
    rollups: dict[str, MultiLabelReport] = field(default_factory=dict)
    n_texts: int = 0
    ece: Optional[float] = None               # of the scores the model reports (15 bins)
    ece_uncalibrated: Optional[float] = None  # of the same scores before calibration, if any

    def to_dict(self) -> dict:
        out = {"n_texts": self.n_texts, **self.fine.to_dict(),
               "rollups": {name: r.to_dict() for name, r in self.rollups.items()}}
        if self.ece is not None:
            out["ece"] = self.ece
        if self.ece_uncalibrated is not None:
            out["ece_uncalibrated"] = self.ece_uncalibrated
        return out


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
    """Evaluate an :class:`~emoscope.EmotionModel` exactly as :meth:`predict` decides, with the
    expected calibration error of its scores (and of its uncalibrated scores)."""
    parts = model.component_scores(list(texts))
    scores = model.blend(parts)
    report = evaluate_predictions(gold, model.decide(scores), model.labels, rollups)
    report.ece = expected_calibration_error(scores, gold)
    if model.calibration is not None:
        report.ece_uncalibrated = expected_calibration_error(model.blend(parts, calibrated=False), gold)
    return report


def goemotions_payload(model, rows, split: str) -> dict:
    """What ``emoscope evaluate --dataset goemotions --split SPLIT --json`` prints for ``model`` on
    ``rows`` (:class:`~emoscope.data.labelled.LabelledTexts` of that split)."""
    return {"dataset": "goemotions", "split": split, "model": model.name,
            **evaluate_model(model, rows.texts, rows.targets).to_dict()}


def evaluate_labelled(model, texts: Sequence[str], targets: np.ndarray) -> dict:
    """Metrics of any :class:`~emoscope.EmotionModel` on labelled texts, after its task:
    macro/micro F1 (multi-label), accuracy and macro/weighted F1 (single-label), Pearson r and
    mean absolute error per target (regression)."""
    return labelled_metrics(model, model.predict_proba(texts), targets)


def labelled_metrics(model, scores: np.ndarray, targets: np.ndarray) -> dict:
    """:func:`evaluate_labelled` for scores already computed (e.g. out-of-fold predictions),
    decided with ``model``'s task, labels and thresholds."""
    out: dict = {"n_texts": len(scores)}
    if model.task == Task.REGRESSION:
        per = [{"target": t, "pearson_r": pearson_r(scores[:, j], targets[:, j]),
                "mae": float(np.abs(scores[:, j] - targets[:, j]).mean())}
               for j, t in enumerate(model.labels)]
        return {**out, "mean_pearson_r": float(np.mean([p["pearson_r"] for p in per])), "per_target": per}
    if model.task == Task.SINGLE_LABEL:
        gold, predicted = targets.argmax(axis=1), scores.argmax(axis=1)
        n = len(model.labels)
        f1 = [class_f1(gold, predicted, c) for c in range(n)]
        return {**out, "accuracy": float(np.mean(gold == predicted)), "macro_f1": float(np.mean(f1)),
                "weighted_f1": weighted_f1(gold, predicted, n),
                "per_label": [{"label": l, "f1": f, "support": int(np.sum(gold == c))}
                              for c, (l, f) in enumerate(zip(model.labels, f1))]}
    report = multilabel_report(targets.astype(bool), model.decide(scores), model.labels)
    return {**out, **report.to_dict()}


# -- presentation ------------------------------------------------------------------------------
def _label_table(per_label: list, title: str = "") -> CardTable:
    return CardTable(["label", "precision", "recall", "F1", "support"],
                     [[s["label"], round(s["precision"], 3), round(s["recall"], 3), round(s["f1"], 3),
                       s["support"]] for s in per_label], title)


def describe_goemotions(payload: dict) -> list[CardSection]:
    lines = [f"**macro-F1 {payload['macro_f1']:.4f}**, micro-F1 {payload['micro_f1']:.4f} over "
             f"{len(payload['per_label'])} labels (thresholds from dev)"]
    if payload.get("ece") is not None:
        before = (f" (before calibration {payload['ece_uncalibrated']:.4f})"
                  if payload.get("ece_uncalibrated") is not None else "")
        lines.append(f"expected calibration error (15 bins, every label score) {payload['ece']:.4f}{before}")
    for name, rolled in payload["rollups"].items():
        per = ", ".join(f"{s['label']} {s['f1']:.3f}" for s in rolled["per_label"])
        lines.append(f"{name} rollup: macro-F1 {rolled['macro_f1']:.4f}, micro-F1 {rolled['micro_f1']:.4f} ({per})")
    tables = [_label_table(payload["per_label"], "per label")]
    tables += [_label_table(r["per_label"], f"{name} rollup") for name, r in payload["rollups"].items()]
    title = f"GoEmotions {payload['split']} ({payload['n_texts']} texts)"
    return [CardSection(title, lines, tables)]


def describe_labelled(payload: dict, title: str) -> list[CardSection]:
    keys = ("macro_f1", "micro_f1", "accuracy", "weighted_f1", "mean_pearson_r")
    headline = ", ".join(f"{k.replace('_', ' ')} {payload[k]:.4f}" for k in keys if k in payload)
    tables = []
    if "per_target" in payload:
        tables.append(CardTable(["target", "Pearson r", "MAE"], [[p["target"], round(p["pearson_r"], 4),
                                                                  round(p["mae"], 4)] for p in payload["per_target"]]))
    elif payload.get("per_label"):
        tables.append(CardTable(["label", "F1", "support"], [[p["label"], round(p["f1"], 4), p["support"]]
                                                             for p in payload["per_label"]]))
    return [CardSection(f"{title} ({payload['n_texts']} texts)", [headline], tables)]
