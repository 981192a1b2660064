"""Frozen result types of the text models: :class:`EmotionResult` and its rollups and VAD."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional, Sequence, Union

import numpy as np

from ..taxonomy import BUILTIN_ROLLUPS, Rollup, default_rollups, load_rollup

NEUTRAL = "neutral"
RollupSpec = Union[str, Path, Mapping, Rollup]


@dataclass(frozen=True)
class RollupResult:
    """Scores and predicted categories of one text under a rollup (e.g. Ekman)."""

    name: str
    labels: tuple[str, ...]
    scores: dict[str, float]

    def __post_init__(self):
        object.__setattr__(self, "labels", by_score(self.labels, self.scores))

    def top(self, k: int = 1) -> list[tuple[str, float]]:
        return sorted(self.scores.items(), key=lambda kv: kv[1], reverse=True)[:k]

    def best(self) -> str:
        """The predicted category with the highest score (the best one if none is predicted)."""
        return max(self.labels or tuple(self.scores), key=lambda c: self.scores[c])


def by_score(labels, scores: Mapping[str, float]) -> tuple[str, ...]:
    """Labels ordered by score, highest first (ties keep their order): the one order of
    predicted labels in every output."""
    return tuple(sorted(labels, key=lambda label: -scores.get(label, 0.0)))


@dataclass(frozen=True)
class VAD:
    """Valence, arousal and dominance on EmoBank's 1-5 scale, where 3 is neutral (valence 1 =
    very negative, 5 = very positive; arousal 1 = calm, 5 = excited; dominance 1 = controlled,
    5 = in control).  :meth:`rescaled` maps them to -1...1 as ``(x - 3) / 2``."""

    valence: float
    arousal: float
    dominance: float

    def rescaled(self) -> "VAD":
        return VAD(*((v - 3.0) / 2.0 for v in (self.valence, self.arousal, self.dominance)))

    def to_dict(self) -> dict:
        return {"valence": self.valence, "arousal": self.arousal, "dominance": self.dominance}


@dataclass(frozen=True)
class EmotionResult:
    """What the model says about one text.

    ``labels`` are the predicted emotions (every score at or above its per-label threshold, or the
    best one if none is; for a single-label model, the best one); ``scores`` holds a probability
    for each of the model's labels.  ``values`` holds the outputs of a regression model (e.g.
    ``{"V": 3.2, "A": 2.9}``).  ``empty`` is True for an empty or whitespace-only text, which is
    reported as neutral.  A model with heads (the shipped one) adds ``vad`` (a :class:`VAD`, 1-5)
    and ``intensity`` (0-3 for anger, fear, joy, sadness and surprise, the SemEval 2025 scheme:
    0 none, 1 low, 2 moderate, 3 high).
    """

    text: str
    labels: tuple[str, ...]
    scores: dict[str, float]
    empty: bool = False
    windows: int = 1
    values: dict = field(default_factory=dict)
    vad: Optional[VAD] = None
    intensity: dict = field(default_factory=dict)
    _rollups: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "labels", by_score(self.labels, self.scores))

    def top(self, k: int = 3) -> list[tuple[str, float]]:
        """The k highest-scoring labels as (label, score), best first."""
        return sorted(self.scores.items(), key=lambda kv: kv[1], reverse=True)[:k]

    def rollup(self, spec: RollupSpec = "ekman") -> RollupResult:
        """Roll fine labels up to coarser categories: ``"ekman"``, ``"sentiment"``, a mapping
        ``{category: [fine labels]}`` or a JSON/YAML file holding one.  A model with a head that
        backs a built-in rollup (the multi-domain model's basic emotions back ``ekman``) reports
        that head for it."""
        key = spec if isinstance(spec, (str, Path)) else None
        if isinstance(spec, Rollup) and spec.name in BUILTIN_ROLLUPS and spec is load_rollup(spec.name):
            key = spec.name  # the built-in rollup, given as an object
        if key is not None and key in self._rollups:
            return self._rollups[key]
        rollup = load_rollup(spec)
        fine = list(self.scores)
        values = np.array([list(self.scores.values())], dtype=np.float32)
        predicted = np.array([[label in self.labels for label in fine]])
        cat_scores = rollup.scores(values, fine)[0]
        cat_predicted = rollup.predicted(predicted, fine)[0]
        result = RollupResult(
            rollup.name,
            tuple(c for c, p in zip(rollup.categories, cat_predicted) if p),
            {c: float(s) for c, s in zip(rollup.categories, cat_scores)},
        )
        if key is not None:
            self._rollups[key] = result
        return result

    def to_dict(self, rollups: Optional[Sequence[RollupSpec]] = None) -> dict:
        """The result as JSON-ready data, in the one schema of every output (docs/results.md);
        ``rollups`` default to the built-ins that apply to the labels."""
        if rollups is None:
            rollups = default_rollups(list(self.scores))
        out: dict = {"text": self.text, "labels": list(self.labels)}
        if self.scores:
            label, score = self.top(1)[0]
            out.update(top_label=label, top_score=round(score, 6))
        out["empty"] = self.empty
        if self.values:
            out["values"] = {k: round(v, 6) for k, v in self.values.items()}
        if self.vad is not None:
            out["vad"] = {k: round(v, 4) for k, v in self.vad.to_dict().items()}
        if self.intensity:
            out["intensity"] = {k: round(v, 4) for k, v in self.intensity.items()}
        for spec in rollups:
            r = self.rollup(spec)
            out[r.name] = {"labels": list(r.labels),
                           "scores": {k: round(v, 6) for k, v in r.scores.items()}}
        out["scores"] = {k: round(v, 6) for k, v in self.scores.items()}
        return out
