"""Evaluation of a model on labelled texts: per-label scores, macro/micro F1, rollup scores."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from .metrics import MultiLabelReport, decide, multilabel_report
from .taxonomy import load_rollup


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
    """Evaluate an :class:`~emoscope.model.EmotionModel` exactly as :meth:`predict` decides,
    with the expected calibration error of its scores (and of its uncalibrated scores)."""
    from .calibration import expected_calibration_error

    parts = model.component_scores(list(texts))
    scores = model.blend(parts)
    report = evaluate_predictions(gold, model.decide(scores), model.labels, rollups)
    report.ece = expected_calibration_error(scores, gold)
    if getattr(model, "calibration", None) is not None:
        report.ece_uncalibrated = expected_calibration_error(model.blend(parts, calibrated=False), gold)
    return report


@dataclass
class ContextEvaluation:
    """Weighted-F1 of a dialogue context model on labelled dialogues, with and without context."""

    weighted_f1: float
    weighted_f1_no_context: float
    per_class: list[dict]
    n_turns: int
    context_turns: int
    turns_per_second: float

    def to_dict(self) -> dict:
        return dict(vars(self))


def evaluate_context_model(model, split) -> ContextEvaluation:
    """Score a :class:`~emoscope.dialogue.model.ContextEmotionModel` on a
    :class:`~emoscope.io.meld.MeldSplit`: each dialogue as the model reads it in use, then each
    turn alone (the no-context ablation)."""
    import time

    from .metrics import class_f1, weighted_f1

    n = len(model.labels)
    gold = np.asarray([model.labels.index(split.label_names[g]) for g in split.gold])
    started = time.perf_counter()
    with_context = np.concatenate([model.turn_scores(s, t) for s, t in zip(split.speakers, split.texts)])
    seconds = time.perf_counter() - started
    alone = np.concatenate([model.turn_scores(s, t, context_turns=0)
                            for s, t in zip(split.speakers, split.texts)])
    predicted = with_context.argmax(1)
    return ContextEvaluation(
        weighted_f1=weighted_f1(gold, predicted, n),
        weighted_f1_no_context=weighted_f1(gold, alone.argmax(1), n),
        per_class=[{"label": label, "f1": class_f1(gold, predicted, c), "support": int(np.sum(gold == c))}
                   for c, label in enumerate(model.labels)],
        n_turns=len(gold), context_turns=model.context_turns,
        turns_per_second=len(gold) / seconds if seconds else 0.0)


def pearson_r(x: np.ndarray, y: np.ndarray) -> float:
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    x, y = x - x.mean(), y - y.mean()
    denom = np.sqrt((x * x).sum() * (y * y).sum())
    return float((x * y).sum() / denom) if denom else 0.0


def evaluate_head(model, head: str, texts: Sequence[str], targets: np.ndarray) -> dict:
    """Pearson r per target (and their mean) of one of a model's heads (``vad``, ``intensity``),
    ``targets`` columns in the head's order."""
    if head not in model.heads:
        from .errors import ModelLoadError

        raise ModelLoadError(f"model {model.name!r} has no {head!r} head (see 'emoscope train heads')")
    predicted = model.predict_heads(texts)[head]
    per = {name: round(pearson_r(predicted[:, j], targets[:, j]), 4)
           for j, name in enumerate(model.heads[head]["targets"])}
    return {"head": head, "n_texts": int(len(texts)), "pearson_r": per,
            "mean_pearson_r": round(float(np.mean(list(per.values()))), 4)}


def evaluate_labelled(model, texts: Sequence[str], targets: np.ndarray) -> dict:
    """Metrics of any :class:`~emoscope.model.EmotionModel` on labelled texts, after its task:
    macro/micro F1 (multi-label), accuracy and macro/weighted F1 (single-label), Pearson r and
    mean absolute error per target (regression)."""
    return labelled_metrics(model, model.predict_proba(texts), targets)


def labelled_metrics(model, scores: np.ndarray, targets: np.ndarray) -> dict:
    """:func:`evaluate_labelled` for scores already computed (e.g. out-of-fold predictions),
    decided with ``model``'s task, labels and thresholds."""
    from .metrics import class_f1, weighted_f1
    from .model import REGRESSION, SINGLE_LABEL

    out: dict = {"n_texts": len(scores)}
    if model.task == REGRESSION:
        per = [{"target": t, "pearson_r": pearson_r(scores[:, j], targets[:, j]),
                "mae": float(np.abs(scores[:, j] - targets[:, j]).mean())}
               for j, t in enumerate(model.labels)]
        return {**out, "mean_pearson_r": float(np.mean([p["pearson_r"] for p in per])), "per_target": per}
    if model.task == SINGLE_LABEL:
        gold, predicted = targets.argmax(axis=1), scores.argmax(axis=1)
        n = len(model.labels)
        f1 = [class_f1(gold, predicted, c) for c in range(n)]
        return {**out, "accuracy": float(np.mean(gold == predicted)), "macro_f1": float(np.mean(f1)),
                "weighted_f1": weighted_f1(gold, predicted, n),
                "per_label": [{"label": l, "f1": f, "support": int(np.sum(gold == c))}
                              for c, (l, f) in enumerate(zip(model.labels, f1))]}
    report = multilabel_report(targets.astype(bool), model.decide(scores), model.labels)
    return {**out, **report.to_dict()}


ZERO_SHOT_TEMPERATURES = (0.02, 0.03, 0.05, 0.07, 0.1)
ZERO_SHOT_RATIOS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def evaluate_zero_shot_ekman(goemotions_dir, encoder_dir=None, num_threads=None) -> dict:
    """Zero-shot Ekman categories on GoEmotions from the category names and one-line
    descriptions (``taxonomy/ekman_descriptions.json``) only.

    Temperature and multi-label ratio are chosen on dev; test is scored at the library defaults
    (``emoscope.zeroshot``), which were set to the dev choice.  Baselines on test: always the
    most frequent dev category, and one uniformly random category per text (seed 0)."""
    from importlib import resources

    from .io.goemotions import read_goemotions
    from .zeroshot import DEFAULT_RATIO, DEFAULT_TEMPERATURE, SentenceEncoder, ZeroShotClassifier

    descriptions = json.loads((resources.files("emoscope") / "taxonomy" / "ekman_descriptions.json")
                              .read_text(encoding="utf-8"))
    rollup = load_rollup("ekman")
    encoder = SentenceEncoder(encoder_dir, num_threads=num_threads)
    clf = ZeroShotClassifier(descriptions, encoder=encoder)
    order = [rollup.categories.index(c) for c in clf.labels]
    out = {"labels": clf.labels, "descriptions": descriptions}
    splits = {}
    for split in ("dev", "test"):
        data = read_goemotions(goemotions_dir, split)
        gold = rollup.predicted(data.targets, data.labels)[:, order]
        splits[split] = (gold, clf.similarities(data.texts))

    def macro(gold, sims, temperature, ratio):
        clf.temperature, clf.multi_label_ratio = temperature, ratio
        return multilabel_report(gold, clf.decide(clf.probabilities(sims)), clf.labels)

    gold, sims = splits["dev"]
    grid = {(t, r): macro(gold, sims, t, r).macro_f1 for t in ZERO_SHOT_TEMPERATURES for r in ZERO_SHOT_RATIOS}
    best = max(grid, key=grid.get)
    out["dev"] = {"best_temperature": best[0], "best_ratio": best[1], "best_macro_f1": grid[best],
                  "macro_f1_at_defaults": grid.get((DEFAULT_TEMPERATURE, DEFAULT_RATIO))}
    gold, sims = splits["test"]
    report = macro(gold, sims, DEFAULT_TEMPERATURE, DEFAULT_RATIO)
    most_frequent = int(splits["dev"][0].sum(axis=0).argmax())
    majority = np.zeros_like(gold)
    majority[:, most_frequent] = True
    rng = np.random.default_rng(0)
    random_pick = np.zeros_like(gold)
    random_pick[np.arange(len(gold)), rng.integers(0, gold.shape[1], len(gold))] = True
    out["test"] = {"n_texts": int(len(gold)), "temperature": DEFAULT_TEMPERATURE, "ratio": DEFAULT_RATIO,
                   "macro_f1": report.macro_f1, "micro_f1": report.micro_f1,
                   "per_label": [vars(s) for s in report.per_label],
                   "majority_baseline_macro_f1": multilabel_report(gold, majority, clf.labels).macro_f1,
                   "majority_label": clf.labels[most_frequent],
                   "random_baseline_macro_f1": multilabel_report(gold, random_pick, clf.labels).macro_f1}
    return out
