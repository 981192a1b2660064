"""Weighted-F1 of a dialogue context model on MELD, with and without context; per-class F1 and the
confusion matrix."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..card import CardSection, CardTable
from ..data.labelled import LabelledTexts
from ..metrics import class_f1, confusion_matrix, weighted_f1

ABLATION_TURNS = (0, 1, 3, 5)  # turns of context on each side, reported beside the model's own


@dataclass
class ContextEvaluation:
    weighted_f1: float
    weighted_f1_no_context: float
    per_class: list[dict]
    confusion: list[list[int]]  # rows gold, columns predicted, in the order of per_class
    n_turns: int
    context_turns: int
    turns_per_second: float
    context_sides: str = "before"  # the context turns are those before each turn, or on "each side"
    ablation: dict = None  # {turns of context: weighted-F1}, 0: each turn alone

    def to_dict(self) -> dict:
        return dict(vars(self))


def evaluate_context_model(model, turns: LabelledTexts) -> ContextEvaluation:
    """Score a :class:`~emoscope.ContextEmotionModel` on dialogue turns (as
    :func:`emoscope.data.meld.read_meld` reads them): each dialogue as the model reads it in use,
    then each turn alone (the no-context ablation) and, for a model with a context graph, with
    each window of :data:`ABLATION_TURNS`."""
    n = len(model.labels)
    gold = np.asarray([model.labels.index(turns.labels[g]) for g in turns.gold])
    dialogues = list(turns.dialogue_turns())
    started = time.perf_counter()
    with_context = np.concatenate(model.dialogue_scores(dialogues))
    seconds = time.perf_counter() - started
    windows = sorted({0, model.context_turns, *ABLATION_TURNS}) if model.reads_both_sides else [0]
    by_window = model.scores_by_context_of(dialogues, windows)
    scores = {k: weighted_f1(gold, np.concatenate([d[k] for d in by_window]).argmax(1), n) for k in windows}
    predicted = with_context.argmax(1)
    return ContextEvaluation(
        weighted_f1=weighted_f1(gold, predicted, n),
        weighted_f1_no_context=scores[0],
        context_sides="each side" if model.reads_both_sides else "before",
        ablation={str(k): v for k, v in scores.items()},
        per_class=[{"label": label, "f1": class_f1(gold, predicted, c), "support": int(np.sum(gold == c))}
                   for c, label in enumerate(model.labels)],
        confusion=confusion_matrix(gold, predicted, n).tolist(), n_turns=len(gold), context_turns=model.context_turns,
        turns_per_second=len(gold) / seconds if seconds else 0.0)


def evaluate_turns_alone(model, turns: LabelledTexts) -> dict:
    """Weighted-F1 of a label model on dialogue turns read one by one: each turn's emotion is the
    best category of its Ekman rollup (for the multi-domain model: its basic-emotion head)."""
    from ..text.context import repair_text

    gold = turns.gold
    results = model.predict([repair_text(t) for t in turns.texts])
    predicted = np.asarray([turns.labels.index(r.rollup("ekman").best()) for r in results])
    n = len(turns.labels)
    return {"decided_by": "the best category of each turn's Ekman rollup, each turn alone",
            "weighted_f1": weighted_f1(gold, predicted, n), "n_turns": len(gold), "context_turns": 0,
            "per_class": [{"label": label, "f1": class_f1(gold, predicted, c), "support": int(np.sum(gold == c))}
                          for c, label in enumerate(turns.labels)],
            "confusion": confusion_matrix(gold, predicted, n).tolist()}


def _confusion_table(payload: dict) -> list[CardTable]:
    if "confusion" not in payload:  # a card written before the matrix was reported
        return []
    labels = [r["label"] for r in payload["per_class"]]
    return [CardTable(["gold \\ predicted", *labels], [[label, *row] for label, row in zip(labels, payload["confusion"])],
                      "confusion matrix")]


def describe_meld(payload: dict) -> list[CardSection]:
    table = CardTable(["label", "F1", "support"],
                      [[r["label"], round(r["f1"], 3), r["support"]] for r in payload["per_class"]])
    if "weighted_f1_no_context" not in payload:  # a label model, each turn alone
        return [CardSection(f"MELD {payload['split']} ({payload['n_turns']} turns), each turn alone",
                            [f"**weighted-F1 {payload['weighted_f1']:.4f}**, decided by {payload['decided_by']}"],
                            [table, *_confusion_table(payload)])]
    sides = " on each side" if payload.get("context_sides") == "each side" else ""
    lines = [f"**weighted-F1 {payload['weighted_f1']:.4f}** with {payload['context_turns']} turns of context{sides}; "
             f"{payload['weighted_f1_no_context']:.4f} with none (each turn alone)"]
    tables = [table]
    if len(payload.get("ablation") or {}) > 1:
        tables.append(CardTable([f"turns of context{sides}", "weighted-F1"],
                                [[k, round(v, 4)] for k, v in payload["ablation"].items()], "context ablation"))
    return [CardSection(f"MELD {payload['split']} ({payload['n_turns']} turns)", lines,
                        [*tables, *_confusion_table(payload)])]
