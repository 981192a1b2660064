"""Per-language macro-F1 on SemEval 2025 Task 11 track A (the task's own score)."""

from __future__ import annotations

import numpy as np

from ..card import CardSection, CardTable
from ..data.labelled import LabelledTexts, annotated_columns
from ..data.semeval import TRACK_A_LABELS
from ..errors import ModelLoadError
from ..metrics import multilabel_report


def language_macro_f1(targets: np.ndarray, predicted: np.ndarray) -> dict:
    """Macro-F1 over the emotions a language's rows are annotated for (SemEval's per-language
    score); ``targets`` (n, 6) with ``NOT_ANNOTATED`` for an emotion the language lacks."""
    columns = annotated_columns(targets)
    report = multilabel_report(targets[:, columns] == 1, predicted[:, columns],
                               [TRACK_A_LABELS[j] for j in columns])
    return {"n_texts": len(targets), "macro_f1": report.macro_f1,
            "per_label_f1": {s.label: round(s.f1, 4) for s in report.per_label}}


def evaluate_track_a(model, splits: dict[str, LabelledTexts]) -> dict:
    """Per-language macro-F1 of a model with the six track A emotions, and their mean: with the
    model's shared thresholds and, where it has them, with each language's own.  A model whose
    labels are other emotions (the 28 GoEmotions labels among them: their "anger" is not track A's)
    is decided by its Ekman rollup (:func:`evaluate_track_a_by_rollup`)."""
    if not set(TRACK_A_LABELS) <= set(model.labels) <= set(TRACK_A_LABELS) | {"neutral"}:
        return evaluate_track_a_by_rollup(model, splits)
    columns = [model.labels.index(l) for l in TRACK_A_LABELS]
    per = {}
    for language, split in splits.items():
        scores = model.predict_proba(split.texts)
        shared = language_macro_f1(split.targets, model.decide(scores)[:, columns])
        row = {"n_texts": shared["n_texts"], "macro_f1_shared_thresholds": shared["macro_f1"],
               "per_label_f1_shared_thresholds": shared["per_label_f1"]}
        if language in model.language_thresholds:
            own = language_macro_f1(split.targets, model.for_language(language).decide(scores)[:, columns])
            row.update({"macro_f1": own["macro_f1"], "per_label_f1": own["per_label_f1"]})
        else:
            row.update({"macro_f1": shared["macro_f1"], "per_label_f1": shared["per_label_f1"]})
        per[language] = row
    return {"mean_macro_f1": float(np.mean([p["macro_f1"] for p in per.values()])),
            "mean_macro_f1_shared_thresholds": float(np.mean([p["macro_f1_shared_thresholds"]
                                                              for p in per.values()])),
            "languages": per}


def evaluate_track_a_by_rollup(model, splits: dict[str, LabelledTexts]) -> dict:
    """Per-language macro-F1 of the Ekman categories that ``model.predict(text).rollup("ekman")``
    reports (for the multi-domain model: its basic-emotion head), against the track A emotions."""
    from ..taxonomy import default_rollups

    if "ekman" not in default_rollups(model.labels) and not any(h.rollup == "ekman" for h in model.heads.values()):
        raise ModelLoadError(f"model {model.name!r} has neither the track A emotions nor an Ekman rollup")
    per = {}
    for language, rows in splits.items():
        rolled = [r.rollup("ekman").labels for r in model.predict(rows.texts)]
        predicted = np.array([[label in labels for label in TRACK_A_LABELS] for labels in rolled], dtype=bool)
        per[language] = language_macro_f1(rows.targets, predicted.reshape(-1, len(TRACK_A_LABELS)))
    return {"decided_by": "the model's Ekman rollup (result.rollup('ekman').labels)",
            "mean_macro_f1": float(np.mean([p["macro_f1"] for p in per.values()])), "languages": per}


def describe_track_a(payload: dict) -> list[CardSection]:
    languages = payload["languages"]
    if "mean_macro_f1_shared_thresholds" not in payload:  # decided by the Ekman rollup
        labels = sorted({l for row in languages.values() for l in row["per_label_f1"]}, key=TRACK_A_LABELS.index)
        rows = [[language, round(row["macro_f1"], 4), row["n_texts"], *(row["per_label_f1"].get(l, "–") for l in labels)]
                for language, row in languages.items()]
        lines = [f"Decided by {payload['decided_by']}; macro-F1 over the emotions each language is annotated "
                 f"for. **Mean over {len(languages)} language(s): {payload['mean_macro_f1']:.4f}**."]
        return [CardSection(f"SemEval 2025 track A {payload['split']}, Ekman rollup", lines,
                            [CardTable(["language", "macro-F1", "texts", *labels], rows)])]
    lines = [f"Macro-F1 over the emotions each language is annotated for (the task's own score), with "
             f"the language's own thresholds. **Mean over {len(languages)} languages: "
             f"{payload['mean_macro_f1']:.4f}**; with the shared thresholds (language not given) "
             f"{payload['mean_macro_f1_shared_thresholds']:.4f}."]
    if "n_texts" in payload:
        lines[0] += f" {payload['n_texts']} texts."
    rows = [[language, round(row["macro_f1"], 4), round(row["macro_f1_shared_thresholds"], 4), row["n_texts"],
             *(row["per_label_f1"].get(l, "–") for l in TRACK_A_LABELS)] for language, row in languages.items()]
    table = CardTable(["language", "macro-F1", "shared thresholds", "texts", *TRACK_A_LABELS], rows)
    return [CardSection(f"SemEval 2025 track A {payload['split']}, per language", lines, [table])]
