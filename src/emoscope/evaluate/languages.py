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
    model's shared thresholds and, where it has them, with each language's own."""
    missing = [l for l in TRACK_A_LABELS if l not in model.labels]
    if missing:
        raise ModelLoadError(f"model {model.name!r} lacks the track A emotions {', '.join(missing)}")
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


def describe_track_a(payload: dict) -> list[CardSection]:
    languages = payload["languages"]
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
