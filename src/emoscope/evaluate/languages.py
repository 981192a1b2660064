"""Per-language macro-F1 on SemEval 2025 Task 11 track A (the task's own score), beside a
per-language TF-IDF baseline."""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

import numpy as np

from ..card import CardSection, CardTable
from ..data.labelled import NOT_ANNOTATED, LabelledTexts, annotated_columns
from ..data.semeval import TRACK_A_LABELS
from ..errors import ModelLoadError
from ..metrics import multilabel_report, tune_thresholds_masked

BASELINE = ("TF-IDF baseline: word 1-2-grams + character 2-5-grams (char_wb), sublinear tf, each block "
            "l2-normalised, terms in at least 2 texts; one class-balanced logistic regression (C=4) per "
            "emotion fitted on the language's train split; thresholds chosen on the split it is scored on")


def language_macro_f1(targets: np.ndarray, predicted: np.ndarray) -> dict:
    """Macro-F1 over the emotions a language's rows are annotated for (SemEval's per-language
    score); ``targets`` (n, 6) with ``NOT_ANNOTATED`` for an emotion the language lacks."""
    columns = annotated_columns(targets)
    report = multilabel_report(targets[:, columns] == 1, predicted[:, columns],
                               [TRACK_A_LABELS[j] for j in columns])
    return {"n_texts": len(targets), "macro_f1": report.macro_f1,
            "per_label_f1": {s.label: round(s.f1, 4) for s in report.per_label}}


def has_track_a_labels(model) -> bool:
    """Whether the model's labels are the track A emotions (``neutral`` allowed besides)."""
    return set(TRACK_A_LABELS) <= set(model.labels) <= set(TRACK_A_LABELS) | {"neutral"}


def evaluate_track_a(model, splits: dict[str, LabelledTexts], baseline: Optional[dict] = None) -> dict:
    """Per-language macro-F1 of a model with the six track A emotions, and their mean: with the
    model's shared thresholds (language not given: the encoder alone) and, where it knows the
    language, as ``model.for_language(language)`` decides (its thresholds, and its TF-IDF head
    blended in where it has one; the encoder runs once for both).  ``baseline``: ``{language:
    macro-F1}`` of :func:`tfidf_baseline`, reported beside the model with the difference.  A model
    whose labels are other emotions (the 28 GoEmotions labels among them: their "anger" is not
    track A's) is decided by its Ekman rollup (:func:`evaluate_track_a_by_rollup`)."""
    if not has_track_a_labels(model):
        return evaluate_track_a_by_rollup(model, splits)
    from ..text.model import AUTO_LANGUAGE

    columns = [model.labels.index(l) for l in TRACK_A_LABELS]
    # a model with a language identifier: also each text read as the language it is detected in
    detecting = model.for_language(AUTO_LANGUAGE) if model.files.language_id is not None else None
    per = {}
    for language, split in splits.items():
        parts = model.component_scores(split.texts)
        shared = language_macro_f1(split.targets, model.decide(model.blend(parts))[:, columns])
        row = {"n_texts": shared["n_texts"], "macro_f1_shared_thresholds": shared["macro_f1"],
               "per_label_f1_shared_thresholds": shared["per_label_f1"]}
        if detecting is not None:
            languages = detecting.detect_language(split.texts)
            detected = detecting.scores_and_decisions(list(split.texts), parts, languages)[1]
            row["macro_f1_detected_language"] = language_macro_f1(split.targets, detected[:, columns])["macro_f1"]
            row["language_detected"] = float(np.mean([d == language for d in languages]))
        if language in model.language_thresholds:
            own_model = model.for_language(language)
            own_parts = replace(parts, lexical=own_model.lexical_scores(split.texts, parts.empty))
            own = language_macro_f1(split.targets, own_model.decide(own_model.blend(own_parts))[:, columns])
            row.update({"macro_f1": own["macro_f1"], "per_label_f1": own["per_label_f1"]})
        else:
            row.update({"macro_f1": shared["macro_f1"], "per_label_f1": shared["per_label_f1"]})
        if baseline is not None and language in baseline:
            row["tfidf_baseline_macro_f1"] = baseline[language]
        per[language] = row
    out = {"mean_macro_f1": float(np.mean([p["macro_f1"] for p in per.values()])),
           "mean_macro_f1_shared_thresholds": float(np.mean([p["macro_f1_shared_thresholds"]
                                                             for p in per.values()])),
           "languages": per}
    if detecting is not None:
        out["mean_macro_f1_detected_language"] = float(np.mean([p["macro_f1_detected_language"] for p in per.values()]))
        out["language_detected"] = float(np.average([p["language_detected"] for p in per.values()],
                                                    weights=[p["n_texts"] for p in per.values()]))
    if baseline is not None:
        out["tfidf_baseline"] = BASELINE
        out["mean_tfidf_baseline_macro_f1"] = float(np.mean([baseline[l] for l in per if l in baseline]))
    return out


def tfidf_baseline(train: dict[str, LabelledTexts], scored: dict[str, LabelledTexts]) -> dict[str, float]:
    """Per language of ``scored``: the macro-F1 of the TF-IDF baseline (:data:`BASELINE`) fitted on
    that language's ``train`` rows, with per-emotion thresholds chosen on the ``scored`` rows
    themselves (an optimistic baseline).  Needs scikit-learn (the train extra)."""
    from .tfidf import fit_word_char_head

    out = {}
    for language, split in scored.items():
        if language not in train:
            continue
        head = fit_word_char_head(train[language].texts, train[language].targets)
        scores = head.predict_proba(split.texts)
        thresholds = tune_thresholds_masked(split.targets, scores, missing=NOT_ANNOTATED)
        out[language] = float(language_macro_f1(split.targets, scores >= thresholds)["macro_f1"])
    return out


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
    if "mean_macro_f1_detected_language" in payload:
        lines[0] += (f" Language detected by the model (`--language auto`): {payload['mean_macro_f1_detected_language']:.4f}"
                     f" ({payload['language_detected']:.2%} of the texts' languages identified).")
    if "n_texts" in payload:
        lines[0] += f" {payload['n_texts']} texts."
    baseline = "mean_tfidf_baseline_macro_f1" in payload
    if baseline:
        lines.append(f"{payload['tfidf_baseline']}. **Baseline mean: {payload['mean_tfidf_baseline_macro_f1']:.4f}**; "
                     f"difference = model - baseline.")
    rows = []
    for language, row in languages.items():
        compared = []
        if baseline:
            base = row.get("tfidf_baseline_macro_f1")
            compared = ["–", "–"] if base is None else [round(base, 4), f"{row['macro_f1'] - base:+.4f}"]
        rows.append([language, round(row["macro_f1"], 4), *compared, round(row["macro_f1_shared_thresholds"], 4),
                     row["n_texts"], *(row["per_label_f1"].get(l, "–") for l in TRACK_A_LABELS)])
    table = CardTable(["language", "macro-F1", *(["TF-IDF baseline", "difference"] if baseline else []),
                       "shared thresholds", "texts", *TRACK_A_LABELS], rows)
    return [CardSection(f"SemEval 2025 track A {payload['split']}, per language", lines, [table])]
