"""Word-level evidence by occlusion: which words carry each predicted emotion.

For a text with words w1..wn, the model also scores the n texts that each leave one word out
(all n + 1 go through the ONNX model in one call).  A word's weight for an emotion is the score
of the whole text minus the score without that word: positive when the word supports the
emotion, negative when it speaks against it.  Occlusion needs no gradients, so it works on the
int8 graph exactly as shipped, and its weights are in the units users see (score points).

With a ``stop`` callback the variants run in chunks of about ``chunk_runs`` encoder windows, and
``stop()`` is asked before each chunk: the HTTP server uses it to drop the work of a client that
went away.  Chunks give the same scores as one call (a text's scores never depend on its batch).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

WORD = re.compile(r"\w+(?:['’]\w+)*", re.UNICODE)


@dataclass(frozen=True)
class WordEvidence:
    word: str
    start: int   # character offsets in the text: text[start:end] == word
    end: int
    weight: float

    def to_dict(self) -> dict:
        return {"word": self.word, "start": self.start, "end": self.end, "weight": round(self.weight, 6)}


@dataclass
class Explanation:
    text: str
    labels: tuple[str, ...]
    scores: dict[str, float]
    evidence: dict[str, list[WordEvidence]] = field(default_factory=dict)

    def top(self, label: str, k: int = 3) -> list[WordEvidence]:
        """The k words with the largest positive weight for ``label``."""
        return sorted((w for w in self.evidence[label] if w.weight > 0), key=lambda w: -w.weight)[:k]

    def to_dict(self) -> dict:
        return {"text": self.text, "labels": list(self.labels),
                "scores": {k: round(v, 6) for k, v in self.scores.items()},
                "evidence": {label: [w.to_dict() for w in words] for label, words in self.evidence.items()}}


def _without(text: str, start: int, end: int) -> str:
    """The text with one word removed (and one space beside it, so no double space remains)."""
    if end < len(text) and text[end] == " ":
        end += 1
    elif start > 0 and text[start - 1] == " ":
        start -= 1
    return text[:start] + text[end:]


class ExplainCancelled(Exception):
    """Raised by :func:`explain` when its ``stop`` callback answers true."""


def explain(model, text: str, labels: Optional[Sequence[str]] = None, max_words: int = 200, *,
            stop: Callable[[], bool] | None = None, chunk_runs: int = 32) -> Explanation:
    """Evidence for ``labels`` (default: the predicted ones) of one text, in word order.

    ``stop``: asked before each chunk of about ``chunk_runs`` model runs (encoder windows);
    when it answers true, :class:`ExplainCancelled` is raised.
    """
    if stop is not None and stop():
        raise ExplainCancelled("explanation stopped before it started")
    result = model.predict(text)
    wanted = list(labels) if labels is not None else list(result.labels)
    unknown = [l for l in wanted if l not in model.labels]
    if unknown:
        raise ValueError(f"unknown label(s) {unknown}; the model's labels are {model.labels}")
    words = [(m.group(), m.start(), m.end()) for m in WORD.finditer(text)][:max_words]
    explanation = Explanation(text, result.labels, result.scores)
    if not words:
        explanation.evidence = {label: [] for label in wanted}
        return explanation
    variants = [_without(text, start, end) for _, start, end in words]
    if stop is None:
        scores = model.predict_proba(variants)
    else:  # about chunk_runs windows per chunk: each variant has about as many as the text
        step = max(1, chunk_runs // max(1, int(getattr(result, "windows", 1) or 1)))
        parts = []
        for begin in range(0, len(variants), step):
            if stop():
                raise ExplainCancelled(f"explanation stopped after {begin} of {len(variants)} variants")
            parts.append(model.predict_proba(variants[begin:begin + step]))
        scores = np.concatenate(parts)
    full = np.array([result.scores[l] for l in model.labels], dtype=np.float32)
    for label in wanted:
        j = model.labels.index(label)
        explanation.evidence[label] = [WordEvidence(w, s, e, float(full[j] - scores[i, j]))
                                       for i, (w, s, e) in enumerate(words)]
    return explanation
