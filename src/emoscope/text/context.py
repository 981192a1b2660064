"""Dialogue turns read in context: :class:`ContextEmotionModel` gives each turn one emotion
(Ekman 6 + neutral) from the turn and the turns before it.

Training and inference both build the model's input with :func:`contextual_inputs`, so the model
always sees the layout it was trained on::

    "Speaker: current turn [SEP] Previous speaker: previous turn | Earlier speaker: earlier turn"

The current turn comes first and the context follows, nearest turn first, so when the input is cut
at the model's token limit it is the oldest context that is lost, never the turn being labelled.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np

from ..errors import ModelLoadError
from ..persistence import Task
from .model import EmotionModel
from .results import NEUTRAL, EmotionResult

DEFAULT_CONTEXT_MODEL = "meld-context-minilm"
CONTEXT_SEPARATOR = " [SEP] "
TURN_SEPARATOR = " | "

# MELD (and text pasted from Windows tools) carries UTF-8 punctuation decoded as cp1252.
_MOJIBAKE = {"\u00e2\u20ac\u2122": "'", "\u00e2\u20ac\u02dc": "'", "\u00e2\u20ac\u0153": '"',
             "\u00e2\u20ac\u009d": '"', "\u00e2\u20ac\u201d": "-", "\u00e2\u20ac\u201c": "-",
             "\u00e2\u20ac\u00a6": "...", "\u0092": "'", "\u0091": "'", "\u0093": '"',
             "\u0094": '"', "\u0097": "-", "\u0096": "-", "\u0085": "..."}


def repair_text(text: str) -> str:
    """Undo the common cp1252 mis-decodings of curly quotes, dashes and ellipses."""
    if "\u00e2" in text or any("\u0080" <= ch <= "\u009f" for ch in text):
        for bad, good in _MOJIBAKE.items():
            text = text.replace(bad, good)
    return text


def _turn(speaker: str, text: str) -> str:
    return f"{speaker}: {repair_text(text).strip()}"


def contextual_inputs(speakers: Sequence[str], texts: Sequence[str], context_turns: int) -> list[str]:
    """One input string per turn of a dialogue: the turn, then up to ``context_turns`` earlier
    turns (nearest first), each prefixed with its speaker."""
    if context_turns < 0:
        raise ValueError(f"context_turns must be >= 0, got {context_turns}")
    turns = [_turn(s, t) for s, t in zip(speakers, texts)]
    out = []
    for index, current in enumerate(turns):
        earlier = turns[max(0, index - context_turns):index][::-1] if context_turns else []
        out.append(current + (CONTEXT_SEPARATOR + TURN_SEPARATOR.join(earlier) if earlier else ""))
    return out


class ContextEmotionModel:
    """Classifies each turn of a dialogue into one of its labels, using up to
    ``context_turns`` preceding turns and their speakers as context.

    >>> model = ContextEmotionModel.load()
    >>> model.predict_turns(["Ross", "Rachel"], ["I got the job!", "Oh my God, that's amazing!"])
    [('joy', 0.58...), ('joy', 0.57...)]
    """

    def __init__(self, model: EmotionModel):
        if model.task != Task.DIALOGUE_TURN:
            raise ModelLoadError(f"{model.directory}: not a dialogue context model (config task is "
                                 f"{model.task.value!r}, expected {Task.DIALOGUE_TURN.value!r})")
        self.model = model
        self.labels = list(model.labels)
        self.context_turns = int(model.config.context_turns)
        self._neutral = self.labels.index(NEUTRAL) if NEUTRAL in self.labels else None

    @classmethod
    def load(cls, path: Optional[Union[str, Path]] = None, *,
             num_threads: Optional[int] = None) -> "ContextEmotionModel":
        """The shipped context model (``path=None``), a shipped model by name, or a directory."""
        return cls(EmotionModel.load(DEFAULT_CONTEXT_MODEL if path is None else path,
                                     num_threads=num_threads))

    def save_pretrained(self, path: Union[str, Path]) -> Path:
        return self.model.save_pretrained(path)

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def directory(self) -> Path:
        return self.model.directory

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

    def predict(self, turns: Sequence) -> list[EmotionResult]:
        """One result per turn of one dialogue (in order): ``turns`` are (speaker, text) pairs or
        objects with ``speaker`` and ``text``; each result has the turn's one label."""
        pairs = [(t.speaker, t.text) if hasattr(t, "speaker") else
                 (t["speaker"], t["text"]) if isinstance(t, dict) else tuple(t) for t in turns]
        speakers, texts = [str(s) for s, _ in pairs], [str(t or "") for _, t in pairs]
        scores = self.turn_scores(speakers, texts)
        return [EmotionResult(text=text, labels=(self.labels[int(row.argmax())],),
                              scores={label: float(s) for label, s in zip(self.labels, row)},
                              empty=not text.strip())
                for text, row in zip(texts, scores)]

    def __repr__(self) -> str:
        return (f"ContextEmotionModel(name={self.name!r}, labels={len(self.labels)}, "
                f"context_turns={self.context_turns})")
