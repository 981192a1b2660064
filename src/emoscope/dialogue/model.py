"""The context-aware turn classifier: one emotion (Ekman 6 + neutral) per dialogue turn, read
with the turns before it."""

from __future__ import annotations

from typing import Optional, Sequence, Union
from pathlib import Path

import numpy as np

from ..errors import ModelLoadError
from ..model import CONTEXT_TASK, NEUTRAL, EmotionModel
from .context import contextual_inputs

DEFAULT_CONTEXT_MODEL = "meld-context-minilm"


class ContextEmotionModel:
    """Classifies each turn of a dialogue into one of its labels, using up to
    ``context_turns`` preceding turns and their speakers as context.

    >>> model = ContextEmotionModel.load()
    >>> model.predict_turns(["Ross", "Rachel"], ["I got the job!", "Oh my God, that's amazing!"])
    [('joy', 0.58...), ('joy', 0.57...)]
    """

    def __init__(self, model: EmotionModel):
        if model.config.get("task") != CONTEXT_TASK:
            raise ModelLoadError(f"{model.directory}: not a dialogue context model "
                                 f"(config task is {model.config.get('task')!r}, expected {CONTEXT_TASK!r})")
        self.model = model
        self.labels = list(model.labels)
        self.context_turns = int(model.config.get("context_turns", 0))
        self._neutral = self.labels.index(NEUTRAL) if NEUTRAL in self.labels else None

    @classmethod
    def load(cls, path: Optional[Union[str, Path]] = None, *,
             num_threads: Optional[int] = None) -> "ContextEmotionModel":
        """The shipped context model (``path=None``), a shipped model by name, or a directory."""
        return cls(EmotionModel.load(DEFAULT_CONTEXT_MODEL if path is None else path,
                                     num_threads=num_threads))

    @property
    def name(self) -> str:
        return self.model.name

    def turn_scores(self, speakers: Sequence[str], texts: Sequence[str],
                    context_turns: Optional[int] = None) -> np.ndarray:
        """(n_turns, n_labels) scores of one dialogue's turns, each row summing to 1.

        The network's per-label sigmoid scores are divided by their sum, which keeps their order;
        the label of a turn is its highest score.  ``context_turns=0`` classifies each turn
        alone (the ablation in the model card).  A turn with no text is neutral.
        """
        if len(speakers) != len(texts):
            raise ValueError(f"{len(speakers)} speakers for {len(texts)} texts")
        k = self.context_turns if context_turns is None else context_turns
        inputs = contextual_inputs(speakers, texts, k)
        parts = self.model.component_scores(inputs)
        scores = self.model.blend(parts)
        scores = scores / np.maximum(scores.sum(axis=1, keepdims=True), 1e-12)
        empty = np.array([not str(t).strip() for t in texts], dtype=bool)
        if empty.any() and self._neutral is not None:
            scores[empty] = 0.0
            scores[empty, self._neutral] = 1.0
        return scores

    def predict_turns(self, speakers: Sequence[str], texts: Sequence[str],
                      context_turns: Optional[int] = None) -> list[tuple[str, float]]:
        """(label, score) for each turn of one dialogue."""
        scores = self.turn_scores(speakers, texts, context_turns)
        best = scores.argmax(axis=1) if len(scores) else np.zeros(0, dtype=int)
        return [(self.labels[i], float(row[i])) for i, row in zip(best, scores)]

    def __repr__(self) -> str:
        return (f"ContextEmotionModel(name={self.name!r}, labels={len(self.labels)}, "
                f"context_turns={self.context_turns})")
