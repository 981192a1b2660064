"""Speech emotion on held-out speakers: accuracy, unweighted average recall (UAR), per-class
recall and F1 and the confusion matrix, each corpus scored on its own labels only (a RAVDESS clip
is never counted wrong for ``boredom``, which RAVDESS does not have)."""

from __future__ import annotations

from typing import Callable, Optional, Sequence

import numpy as np

from ..card import CardSection, CardTable
from ..metrics import confusion_matrix


def restricted_predictions(probabilities: np.ndarray, labels: Sequence[str], allowed: Sequence[str]) -> list[str]:
    """The best label of each row among ``allowed`` (the corpus's own labels)."""
    columns = [list(labels).index(label) for label in allowed]
    return [allowed[i] for i in np.argmax(probabilities[:, columns], axis=1)]


def classification_payload(gold: Sequence[str], predicted: Sequence[str], classes: Sequence[str]) -> dict:
    """Accuracy, UAR, per-class recall/precision/F1 and the confusion matrix (rows gold)."""
    index = {label: i for i, label in enumerate(classes)}
    matrix = confusion_matrix([index[g] for g in gold], [index[p] for p in predicted], len(classes))
    support = matrix.sum(axis=1)
    predicted_count = matrix.sum(axis=0)
    hits = np.diag(matrix)
    recall = np.divide(hits, support, out=np.zeros(len(classes)), where=support > 0)
    precision = np.divide(hits, predicted_count, out=np.zeros(len(classes)), where=predicted_count > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(len(classes)),
                   where=(precision + recall) > 0)
    present = support > 0
    return {"n": int(matrix.sum()), "accuracy": float(hits.sum() / max(matrix.sum(), 1)),
            "uar": float(recall[present].mean()) if present.any() else 0.0,
            "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
            "per_class": [{"label": c, "recall": float(r), "precision": float(p), "f1": float(f), "support": int(s)}
                          for c, r, p, f, s in zip(classes, recall, precision, f1, support)],
            "classes": list(classes), "confusion": matrix.tolist()}


def evaluate_speech_model(model, clips, corpus: str, classes: Sequence[str],
                          progress: Optional[Callable[[int], None]] = None) -> dict:
    """Score ``model`` (a :class:`~emoscope.speech.SpeechEmotionModel`) on ``clips`` through its
    full pipeline (reading, speech segments, the graph), one recording per clip."""
    probabilities = np.zeros((len(clips), len(model.labels)), dtype=np.float32)
    for i, clip in enumerate(clips):
        result = model.predict(clip.path)
        probabilities[i] = [result.scores[label] for label in model.labels]
        if progress is not None:
            progress(i + 1)
    predicted = restricted_predictions(probabilities, model.labels, classes)
    speakers = sorted({clip.speaker for clip in clips})
    return {"corpus": corpus, "speakers": speakers,
            **classification_payload([clip.label for clip in clips], predicted, classes)}


def classification_tables(payload: dict) -> list[CardTable]:
    """Per-class recall, precision and F1, and the confusion matrix, of a classification payload."""
    per_class = CardTable(["label", "recall", "precision", "F1", "support"],
                          [[r["label"], round(r["recall"], 3), round(r["precision"], 3), round(r["f1"], 3),
                            r["support"]] for r in payload["per_class"]])
    confusion = CardTable(["gold \\ predicted", *payload["classes"]],
                          [[label, *row] for label, row in zip(payload["classes"], payload["confusion"])],
                          "confusion matrix")
    return [per_class, confusion]


def describe_speech(payload: dict) -> list[CardSection]:
    lines = [f"**UAR {payload['uar']:.4f}**, accuracy {payload['accuracy']:.4f}, macro-F1 {payload['macro_f1']:.4f} "
             f"on {payload['n']} clips of speakers {', '.join(payload['speakers'])} "
             f"(over the corpus's {len(payload['classes'])} emotions)"]
    return [CardSection(f"{payload['dataset']} {payload['split']} ({payload['n']} clips)", lines,
                        classification_tables(payload))]
