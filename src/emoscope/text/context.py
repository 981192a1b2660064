"""Dialogue turns read in context: :class:`ContextEmotionModel` gives each turn one emotion
(Ekman 6 + neutral) from the turn and the turns around it.

A model with a context graph (``context.onnx``, as ``emoscope train meld`` writes it) reads each
turn once: the encoder gives its vector and its own scores (``logits``: the turn alone), then a
bidirectional GRU reads the vectors of the ``context_turns`` turns on each side, with who speaks
(:func:`speaker_features`), and scores the turn in that window.  A dialogue's encoder runs are
batched; the graph's int8 activation scales are fixed, so a turn's scores do not depend on the
other turns in its batch.

An older model without one reads each turn with the turns before it written into its input
(:func:`contextual_inputs`), so it always sees the layout it was trained on::

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
from ..runtime import session_options
from .model import EmotionModel, softmax
from .results import NEUTRAL, EmotionResult

DEFAULT_CONTEXT_MODEL = "meld-context-minilm"
CONTEXT_SEPARATOR = " [SEP] "
TURN_SEPARATOR = " | "
MAX_SPEAKERS = 4  # speakers told apart in a window; the fifth and later share the fourth's column
SPEAKER_FEATURES = MAX_SPEAKERS + 1

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


def turn_text(text: str) -> str:
    """A turn's text as the dialogue model reads it: mojibake repaired, outer spaces stripped."""
    return repair_text(str(text)).strip()


def _turn(speaker: str, text: str) -> str:
    return f"{speaker}: {turn_text(text)}"


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


def speaker_features(speakers: Sequence[str]) -> np.ndarray:
    """(n_turns, 5) who speaks each turn of a window: one-hot of the speaker in order of first
    appearance (the first four), and 1 where the speaker also said the turn before.  Names only
    tell speakers apart, so a model learns turn-taking, not characters."""
    order: dict = {}
    out = np.zeros((len(speakers), SPEAKER_FEATURES), dtype=np.float32)
    for i, speaker in enumerate(speakers):
        out[i, min(order.setdefault(speaker, len(order)), MAX_SPEAKERS - 1)] = 1.0
        out[i, MAX_SPEAKERS] = float(i > 0 and speakers[i - 1] == speaker)
    return out


def window_bounds(n: int, context_turns: int) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of the windows over a dialogue of ``n`` turns: one per turn (the turn and up
    to ``context_turns`` turns on each side) or, when every window would be the whole dialogue,
    that one window."""
    if context_turns >= n - 1:
        return np.zeros(1, int), np.full(1, n)
    return np.maximum(np.arange(n) - context_turns, 0), np.minimum(np.arange(n) + context_turns + 1, n)


def turn_windows(speakers: Sequence[str], vectors: np.ndarray, context_turns: int):
    """The context graph's inputs for a dialogue: one window per turn (the turn and up to
    ``context_turns`` turns on each side), time-major as the ONNX GRU reads them, zero-padded;
    when every window would be the whole dialogue, that one window.  Returns (vectors (steps,
    windows, dim), speakers (steps, windows, 5), lengths (windows,), where): ``where`` gives each
    turn's (window, position in it)."""
    n, dim = vectors.shape
    starts, ends = window_bounds(n, context_turns)
    steps = int((ends - starts).max())
    x = np.zeros((steps, len(starts), dim), dtype=np.float32)
    who = np.zeros((steps, len(starts), SPEAKER_FEATURES), dtype=np.float32)
    for w, (a, b) in enumerate(zip(starts, ends)):
        x[:b - a, w] = vectors[a:b]
        who[:b - a, w] = speaker_features(list(speakers[a:b]))
    where = (np.arange(n), np.arange(n) - starts) if len(starts) == n else (np.zeros(n, int), np.arange(n))
    return x, who, (ends - starts).astype(np.int32), where


DialogueTurns = tuple[Sequence[str], Sequence[str]]  # (speakers, texts) of one dialogue


def _checked_window(k: int) -> int:
    if k < 0:
        raise ValueError(f"context_turns must be >= 0, got {k}")
    return int(k)


def _checked(dialogues: Sequence[DialogueTurns]) -> list[DialogueTurns]:
    dialogues = list(dialogues)
    for speakers, texts in dialogues:
        if len(speakers) != len(texts):
            raise ValueError(f"{len(speakers)} speakers for {len(texts)} texts")
    return dialogues


class ContextEmotionModel:
    """Classifies each turn of a dialogue into one of its labels, using the turns around it and
    who speaks as context: up to ``context_turns`` turns on each side (a model with a context
    graph) or before it (an older model that writes them into its input).

    >>> model = ContextEmotionModel.load()
    >>> model.predict_turns(["Ross", "Rachel"], ["I got the job!", "Oh my God, that's amazing!"])
    [('joy', 0.66...), ('joy', 0.48...)]
    """

    def __init__(self, model: EmotionModel):
        if model.task != Task.DIALOGUE_TURN:
            raise ModelLoadError(f"{model.directory}: not a dialogue context model (config task is "
                                 f"{model.task.value!r}, expected {Task.DIALOGUE_TURN.value!r})")
        self.model = model
        self.labels = list(model.labels)
        self.context_turns = int(model.config.context_turns)
        self._neutral = self.labels.index(NEUTRAL) if NEUTRAL in self.labels else None
        self._context = None  # the context graph's session (None: an input-concatenating model)
        if model.files.context_graph is not None:
            import onnxruntime as ort

            self._context = ort.InferenceSession(str(model.files.context_graph),
                                                 session_options(1),  # a few thousand multiply-adds a turn
                                                 providers=["CPUExecutionProvider"])

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

        The label of a turn is its highest score.  ``context_turns=0`` classifies each turn alone
        (the ablation in the model card): with a context graph, by the encoder's own head.  A
        turn with no text is neutral.
        """
        return self.dialogue_scores([(speakers, texts)], context_turns)[0]

    def dialogue_scores(self, dialogues: Sequence[DialogueTurns],
                        context_turns: Optional[int] = None) -> list[np.ndarray]:
        """:meth:`turn_scores` of each (speakers, texts) dialogue.  A model with a context graph
        encodes the turns of all of them together, in length-sorted batches across dialogues (many
        short dialogues run as fast as one long text file); a turn's scores depend only on the
        turns of its own window, never on the other dialogues."""
        k = self.context_turns if context_turns is None else int(context_turns)
        if self._context is not None:
            return [by_window[k] for by_window in self.scores_by_context_of(dialogues, [k])]
        return [self._concatenated_scores(speakers, texts, k) for speakers, texts in _checked(dialogues)]

    def _concatenated_scores(self, speakers: Sequence[str], texts: Sequence[str], k: int) -> np.ndarray:
        """An older model's scores: the network's per-label sigmoid scores over their sum, which
        keeps their order."""
        parts = self.model.component_scores(contextual_inputs(speakers, texts, k))
        scores = self.model.blend(parts)
        scores = scores / np.maximum(scores.sum(axis=1, keepdims=True), 1e-12)
        return self._neutral_if_empty(scores, texts)

    def _neutral_if_empty(self, scores: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        empty = np.array([not str(t).strip() for t in texts], dtype=bool)
        if empty.any() and self._neutral is not None:
            scores[empty] = 0.0
            scores[empty, self._neutral] = 1.0
        return scores

    @property
    def reads_both_sides(self) -> bool:
        """True for a model with a context graph: it reads the turns after a turn too."""
        return self._context is not None

    def scores_by_context(self, speakers: Sequence[str], texts: Sequence[str],
                          context_turns: Sequence[int]) -> dict[int, np.ndarray]:
        """``{k: turn_scores(speakers, texts, k)}`` for several ``k``; a model with a context graph
        encodes the turns once for all of them (the ablation in the card)."""
        return self.scores_by_context_of([(speakers, texts)], context_turns)[0]

    def scores_by_context_of(self, dialogues: Sequence[DialogueTurns],
                             context_turns: Sequence[int]) -> list[dict[int, np.ndarray]]:
        """:meth:`scores_by_context` of each dialogue, encoded together (:meth:`dialogue_scores`)."""
        dialogues = _checked(dialogues)
        if self._context is None:
            return [{k: self._concatenated_scores(speakers, texts, _checked_window(k)) for k in context_turns}
                    for speakers, texts in dialogues]
        weight = self.model.encoder_weight
        return [{k: self._neutral_if_empty(scores if lexical is None else weight * scores + (1 - weight) * lexical,
                                           texts) for k, scores in by_window.items()}
                for (by_window, lexical), (_, texts) in zip(self.components_of(dialogues, context_turns), dialogues)]

    def components(self, speakers: Sequence[str], texts: Sequence[str], context_turns: Sequence[int]):
        """(``{k: the network's probabilities with k turns on each side}``, the TF-IDF head's
        probabilities or ``None``) of a model with a context graph; its scores blend the two with
        the model's encoder weight.  ``k=0``: the turn head, each turn alone."""
        return self.components_of([(speakers, texts)], context_turns)[0]

    def components_of(self, dialogues: Sequence[DialogueTurns], context_turns: Sequence[int]) -> list[tuple]:
        """:meth:`components` of each dialogue, from one encoder run over all their turns."""
        for k in context_turns:
            _checked_window(k)
        dialogues = _checked(dialogues)
        cleaned = [[turn_text(t) for t in texts] for _, texts in dialogues]
        turns = [text for texts in cleaned for text in texts]
        output = self.model.encoder.run(turns, extra_outputs=["embedding"])  # one window per turn
        probabilities, vectors = softmax(output.logits), output.extra["embedding"]
        lexical = None
        if self.model.lexical is not None:  # one-vs-rest probabilities, as a distribution over the labels
            lexical = self.model.lexical.predict_proba(turns) if turns else np.zeros((0, len(self.labels)))
            lexical = lexical / np.maximum(lexical.sum(axis=1, keepdims=True), 1e-12)
        out, start = [], 0
        for (speakers, _), texts in zip(dialogues, cleaned):
            span = slice(start, start + len(texts))
            start = span.stop
            by_window = {}
            for k in context_turns:
                if k == 0 or not texts:
                    by_window[k] = probabilities[span]
                    continue
                x, who, lengths, (window, position) = turn_windows([str(s) for s in speakers], vectors[span], k)
                logits = self._context.run(["logits"], {"vectors": x, "speakers": who, "lengths": lengths})[0]
                by_window[k] = softmax(logits[position, window])
            out.append((by_window, None if lexical is None else lexical[span]))
        return out

    def predict_turns(self, speakers: Sequence[str], texts: Sequence[str],
                      context_turns: Optional[int] = None) -> list[tuple[str, float]]:
        """(label, score) for each turn of one dialogue."""
        return self.predict_dialogues([(speakers, texts)], context_turns)[0]

    def predict_dialogues(self, dialogues: Sequence[DialogueTurns],
                          context_turns: Optional[int] = None) -> list[list[tuple[str, float]]]:
        """:meth:`predict_turns` of each (speakers, texts) dialogue, encoded together."""
        out = []
        for scores in self.dialogue_scores(dialogues, context_turns):
            best = scores.argmax(axis=1) if len(scores) else np.zeros(0, dtype=int)
            out.append([(self.labels[i], float(row[i])) for i, row in zip(best, scores)])
        return out

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
