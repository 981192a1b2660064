"""Frozen result types of the speech model: a recording's :class:`SpeechResult` and its
:class:`SpeechSegment` timeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

NEUTRAL = "neutral"


def _rounded(scores: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 6) for k, v in scores.items()}


def _top(scores: dict[str, float], k: int) -> list[tuple[str, float]]:
    return sorted(scores.items(), key=lambda kv: kv[1], reverse=True)[:k]


@dataclass(frozen=True)
class SpeechSegment:
    """One stretch of speech: ``start`` and ``end`` in seconds from the start of the recording,
    its predicted emotion (``labels``, one label) and a probability per label (``scores``).  With a
    transcript (``emoscope speech --transcribe``), ``text`` is what was said in it and
    ``text_labels`` / ``text_scores`` the text model's emotions of those words."""

    start: float
    end: float
    labels: tuple[str, ...]
    scores: dict[str, float]
    text: Optional[str] = None
    text_labels: tuple[str, ...] = ()
    text_scores: dict = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return self.end - self.start

    def top(self, k: int = 1) -> list[tuple[str, float]]:
        return _top(self.scores, k)

    def to_dict(self) -> dict:
        label, score = self.top(1)[0]
        out = {"start": round(self.start, 3), "end": round(self.end, 3), "labels": list(self.labels),
               "top_label": label, "top_score": round(score, 6)}
        if self.text is not None:
            out.update(text=self.text, text_labels=list(self.text_labels),
                       text_top_label=self.text_labels[0] if self.text_labels else None,
                       text_scores=_rounded(self.text_scores))
        out["scores"] = _rounded(self.scores)
        return out


@dataclass(frozen=True)
class SpeechResult:
    """What the speech model says about one recording.

    ``scores`` are the segments' probabilities averaged with their durations as weights, and
    ``labels`` the best of them (one label); ``segments`` is the timeline.  A recording in which no
    speech is found (silence, zero samples) is ``neutral`` with ``empty=True`` and no segments, as an
    empty text is.  ``source`` names the file (``None`` for samples given as an array).
    """

    labels: tuple[str, ...]
    scores: dict[str, float]
    segments: tuple[SpeechSegment, ...]
    duration: float
    empty: bool = False
    source: Optional[str] = None

    def top(self, k: int = 1) -> list[tuple[str, float]]:
        return _top(self.scores, k)

    def to_dict(self) -> dict:
        """JSON-ready, in the schema of every emoscope result (docs/results.md): ``labels``,
        ``top_label``, ``top_score``, ``empty``, then the timeline and the scores."""
        label, score = self.top(1)[0]
        return {"source": self.source, "duration": round(self.duration, 3), "labels": list(self.labels),
                "top_label": label, "top_score": round(score, 6), "empty": self.empty,
                "segments": [s.to_dict() for s in self.segments], "scores": _rounded(self.scores)}
