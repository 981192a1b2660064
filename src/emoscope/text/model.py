"""The text model: :class:`EmotionModel` loads a model directory and predicts."""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence, Union, overload

import numpy as np

from ..calibration import apply_platt, shift_logits
from ..errors import ModelLoadError, UnknownLanguageWarning
from ..metrics import decide
from ..persistence import ModelConfig, ModelFiles, Task, copy_model, read_config, read_model, resolve_model_dir
from ..taxonomy import default_rollups
from .encoder import DEFAULT_BATCH_SIZE, OnnxTextEncoder, sigmoid  # noqa: F401 (re-exported)
from .lexical import LexicalHead
from .normalize import emoji_labels, normalizer
from .results import NEUTRAL, VAD, EmotionResult, RollupResult, RollupSpec  # noqa: F401 (re-exported)

DEFAULT_MODEL = "multidomain-minilm"
AUTO_LANGUAGE = "auto"  # for_language(AUTO_LANGUAGE): each text read as the language it is detected in
LABEL_TASKS = (Task.MULTI_LABEL, Task.SINGLE_LABEL, Task.REGRESSION, Task.DIALOGUE_TURN)


@dataclass
class ComponentScores:
    """Per-text probabilities of each part of the model before blending (used by training)."""

    encoder: np.ndarray
    lexical: Optional[np.ndarray]
    empty: np.ndarray
    windows: np.ndarray
    heads: dict = field(default_factory=dict)  # head name -> (n_texts, n_targets) values
    # (n_texts, n_labels) 1 where an emoji or emoticon beside the text's words means the label
    # (a model with emoji weights; a text the normaliser rewrote has none: it is read as words)
    emoji: Optional[np.ndarray] = None

    def take(self, rows: np.ndarray) -> "ComponentScores":
        """These scores for the texts ``rows`` only."""
        pick = (lambda a: None if a is None else a[rows])
        return ComponentScores(self.encoder[rows], pick(self.lexical), self.empty[rows], self.windows[rows],
                               {name: values[rows] for name, values in self.heads.items()}, pick(self.emoji))


def mean_over_windows(values: np.ndarray, owners: np.ndarray, n_texts: int) -> np.ndarray:
    """Average window outputs into one row per text (regression and single-label models)."""
    out = np.zeros((n_texts, values.shape[1]), dtype=np.float32)
    np.add.at(out, owners, values)
    return out / np.maximum(np.bincount(owners, minlength=n_texts), 1)[:, None]


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def max_over_windows(values: np.ndarray, owners: np.ndarray, n_texts: int) -> np.ndarray:
    """Each column's highest value over a text's windows, one row per text."""
    out = np.full((n_texts, values.shape[1]), -np.inf, dtype=np.float32)
    np.maximum.at(out, owners, values)
    return out


def combine_windows(probs: np.ndarray, owners: np.ndarray, n_texts: int,
                    neutral_index: Optional[int]) -> np.ndarray:
    """Merge window probabilities into one row per text.

    An emotion takes its highest probability over the windows (it is expressed if any part of
    the text expresses it); ``neutral`` takes its lowest (a text is neutral only if every part is).
    """
    out = max_over_windows(probs, owners, n_texts)
    if neutral_index is not None:
        low = np.full(n_texts, np.inf, dtype=np.float32)
        np.minimum.at(low, owners, probs[:, neutral_index])
        out[:, neutral_index] = low
    return out


_KIND_OF_TASK = {Task.SENTENCE_EMBEDDING: "emoscope.text.zeroshot.SentenceEncoder",
                 Task.ZERO_SHOT: "emoscope.ZeroShotClassifier",
                 Task.AUDIO_CLASSIFICATION: "emoscope.SpeechEmotionModel",
                 Task.IMAGE_CLASSIFICATION: "emoscope.FaceEmotionModel"}


def check_language(name: str, files: ModelFiles, language: str) -> None:
    """:class:`ModelLoadError` when the model in ``files`` cannot read ``language``: it keeps no
    language at all, or (``"auto"``) it has no language identifier.  A code it does not know is
    not an error (``for_language`` warns and keeps the shared thresholds)."""
    if not files.language_thresholds:
        raise ModelLoadError(f"model {name!r} has no per-language thresholds (language {language!r})")
    if language == AUTO_LANGUAGE and files.language_id is None:
        raise ModelLoadError(f"model {name!r} cannot detect languages (no language identifier): give the "
                             f"language, one of {', '.join(sorted(files.language_thresholds))}")


def _require_label_task(directory: Path, config: ModelConfig) -> None:
    if config.task not in LABEL_TASKS:
        raise ModelLoadError(f"{directory}: a {config.task.value} model, not a label model "
                             f"({_KIND_OF_TASK.get(config.task, 'another model kind')} reads it)")


HEADS_GRAPH_OUTPUT = "embedding"  # what a heads graph outputs besides its heads (its last layer, mean-pooled)


class EmotionModel:
    """Emotion classifier (multi-label, single-label) or regressor of texts, backed by an ONNX
    encoder (plus an optional lexical head); the shipped one adds VAD and intensity heads.

    >>> model = EmotionModel.load()
    >>> model.predict("Thank you so much, you made my day!").labels
    ('gratitude',)
    """

    def __init__(self, files: ModelFiles, encoder: OnnxTextEncoder, lexical: Optional[LexicalHead] = None,
                 heads_encoder: Optional[OnnxTextEncoder] = None):
        _require_label_task(files.directory, files.config)
        self.files = files
        self.directory = files.directory
        self.config = files.config
        self.labels = list(files.labels)
        self.thresholds = files.thresholds
        self.encoder = encoder
        # the encoder whose outputs are the heads: the main one, or a second graph (config.heads_file)
        self.heads_encoder = heads_encoder or encoder
        self.lexical = lexical
        self.encoder_weight = float(self.config.encoder_weight) if lexical else 1.0
        self.task = self.config.task
        self.calibration = files.calibration if self.task == Task.MULTI_LABEL else None
        self._neutral_index = self.labels.index(NEUTRAL) if NEUTRAL in self.labels else None
        # extra graph outputs from the same pass (VAD, intensity): {name: HeadSpec}
        self.heads = dict(self.config.heads) if self.task == Task.MULTI_LABEL else {}
        # TF-IDF regressions blended with some heads' graph outputs (HeadSpec.encoder_weights)
        self.head_lexical = {name: LexicalHead.from_weights(weights) for name, weights in files.head_lexical.items()
                             if name in self.heads}
        self.language_thresholds: dict = files.language_thresholds
        # per-language TF-IDF heads (built on first use) and the encoder's weight in each blend
        self.language_encoder_weights: dict = dict(self.config.language_encoder_weights)
        self._language_lexical: dict = {}
        self.language: Optional[str] = None
        self._language_id: Optional[tuple[list[str], LexicalHead]] = None  # built on first use
        # what every text goes through before the encoder and the lexical head (config
        # ``normalize_emoji``: emoji and emoticons as words, emoscope.text.normalize.normalizer);
        # results keep the text as given
        self.normalize: Callable[[str], str] | None = normalizer(self.config.normalize_emoji)
        # per-label logit offsets for emoji beside words (``emoji_weights.json``, fitted on
        # GoEmotions train by emoscope.train.emoji), added after calibration; None: none
        self.emoji_weights: Optional[np.ndarray] = files.emoji_weights if self.task == Task.MULTI_LABEL else None

    # -- loading and saving -------------------------------------------------------------
    @classmethod
    def load(cls, path: Optional[Union[str, Path]] = None, *, num_threads: Optional[int] = None,
             batch_size: Optional[int] = None) -> "EmotionModel":
        """Load the shipped model (``path=None``), a shipped model by name, or a directory."""
        directory = resolve_model_dir(path, DEFAULT_MODEL)
        _require_label_task(directory, read_config(directory))  # before anything else is read
        files = read_model(directory)
        encoder = OnnxTextEncoder.from_config(files.directory, files.config, num_threads=num_threads,
                                              batch_size=batch_size)
        lexical = LexicalHead.from_weights(files.lexical) if files.lexical is not None else None
        heads_encoder = None
        if files.heads_graph is not None:  # the same windows, its own graph and tokenizer
            heads_config = replace(files.config, onnx_file=files.config.heads_file,
                                   tokenizer_file=str(files.config.heads_tokenizer_file))
            heads_encoder = OnnxTextEncoder.from_config(files.directory, heads_config, num_threads=num_threads,
                                                        batch_size=batch_size)
        return cls(files, encoder, lexical, heads_encoder)

    @classmethod
    def from_pretrained(cls, path: Optional[Union[str, Path]] = None, **kwargs) -> "EmotionModel":
        return cls.load(path, **kwargs)

    def save_pretrained(self, path: Union[str, Path]) -> Path:
        """Write this model to ``path`` (thresholds as currently set), card included."""
        return copy_model(self.files, path, thresholds=self.thresholds)

    def for_language(self, language: str) -> "EmotionModel":
        """This model reading ``language``: a model trained on several languages (such as
        ``semeval-multilingual-e5``) keeps one set of thresholds per language and may keep one
        TF-IDF head per language, blended with the encoder with that language's weight.  A
        language the model does not know keeps the shared thresholds (and the encoder alone),
        with an :class:`~emoscope.errors.UnknownLanguageWarning`; a model that keeps no language
        at all raises :class:`~emoscope.errors.ModelLoadError`.  The returned model shares this
        one's encoder."""
        check_language(self.name, self.files, language)
        if language == AUTO_LANGUAGE:
            model = copy.copy(self)
            model.language = AUTO_LANGUAGE
            return model
        if language not in self.language_thresholds:
            known = ", ".join(sorted(self.language_thresholds))
            warnings.warn(f"model {self.name!r} has no thresholds for language {language!r}: deciding with "
                          f"its shared thresholds (it knows: {known})", UnknownLanguageWarning, stacklevel=2)
            return self
        chosen = self.language_thresholds[language]
        model = copy.copy(self)
        model.thresholds = np.array([chosen.get(l, t) for l, t in zip(self.labels, self.thresholds)],
                                    dtype=np.float32)
        model.language = language
        if language in self.language_encoder_weights:
            if language not in self._language_lexical:
                self._language_lexical[language] = LexicalHead.from_weights(self.files.language_lexical[language])
            model.lexical = self._language_lexical[language]
            # per label: the language's weight where its head was fitted, the encoder alone elsewhere
            model.encoder_weight = np.where(model.lexical.annotated, float(self.language_encoder_weights[language]),
                                            1.0).astype(np.float32)
        return model

    def _language_identifier(self) -> tuple[list[str], LexicalHead]:
        check_language(self.name, self.files, AUTO_LANGUAGE)
        if self._language_id is None:
            languages, weights = self.files.language_id
            self._language_id = (languages, LexicalHead.from_weights(weights))
        return self._language_id

    def detect_language(self, texts: Sequence[str]) -> list[str]:
        """The language of each text, as the model's language identifier reads it (a TF-IDF
        classifier over its languages, ``language_id.npz``); ``for_language("auto")`` reads each
        text as its language.  :class:`~emoscope.errors.ModelLoadError` for a model without one."""
        languages, head = self._language_identifier()
        batch = as_text_list(texts)
        return [languages[i] for i in head.decision_function(batch).argmax(axis=1)] if batch else []

    def scores_and_decisions(self, batch: list[str], parts: ComponentScores, languages: Optional[Sequence[str]] = None
                             ) -> tuple[np.ndarray, Optional[np.ndarray]]:
        """Final scores and label decisions of ``batch`` from its :meth:`component_scores` (``None``
        for a regression model; evaluation computes the parts once for several readings); with the
        language ``auto``, each text's by the model of the language it is detected in
        (``languages``: :meth:`detect_language` of ``batch``, when the caller has it already)."""
        if self.language != AUTO_LANGUAGE:
            scores = self.blend(parts)
            return scores, None if self.task == Task.REGRESSION else self.decide(scores)
        scores, decided = np.zeros(parts.encoder.shape, np.float32), np.zeros(parts.encoder.shape, bool)
        detected = np.array(self.detect_language(batch) if languages is None else list(languages))
        for language in dict.fromkeys(detected):
            rows = np.flatnonzero(detected == language)
            reader = self.for_language(language)
            own = replace(parts.take(rows), lexical=reader.lexical_scores([batch[i] for i in rows], parts.empty[rows]))
            scores[rows] = reader.blend(own)
            decided[rows] = reader.decide(scores[rows])
        return scores, decided

    @property
    def name(self) -> str:
        return str(self.config.name or self.directory.name)

    # -- prediction ----------------------------------------------------------------------
    def component_scores(self, texts: Sequence[str]) -> ComponentScores:
        texts = list(texts)
        empty = np.array([not t.strip() for t in texts], dtype=bool)
        keep = np.flatnonzero(~empty)
        encoder = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        windows = np.zeros(len(texts), dtype=np.int64)
        lexical = emoji = None
        heads = {name: np.full((len(texts), len(h.targets)), h.neutral, dtype=np.float32)
                 for name, h in self.heads.items()}  # an empty text keeps each head's neutral value
        if len(keep):
            given = [texts[i] for i in keep]
            kept = self._normalized(given)
            if self.emoji_weights is not None:
                emoji = np.zeros(encoder.shape, dtype=np.float32)
                emoji[keep] = self._emoji_meanings(given, kept)
            separate = self.heads_encoder is not self.encoder
            output = self.encoder.run(kept, extra_outputs=[] if separate else [h.output for h in self.heads.values()])
            heads_output = (self.heads_encoder.run(kept, HEADS_GRAPH_OUTPUT, [h.output for h in self.heads.values()])
                            if separate and self.heads else output)
            for name, head in self.heads.items():
                values = heads_output.extra[head.output]
                values = sigmoid(values) if head.activation == "sigmoid" else values
                if head.windows == "labels":  # a labels head: windows combine as the label scores do
                    values = combine_windows(values, heads_output.owners, len(kept), self._neutral_index)
                else:
                    merge = mean_over_windows if head.windows == "mean" else max_over_windows
                    values = merge(values, heads_output.owners, len(kept))
                if name in self.head_lexical:  # the whole text's TF-IDF, blended in the head's own units
                    lexical_head = self.head_lexical[name]
                    weight = np.asarray(head.encoder_weights, dtype=np.float32)
                    values = weight * values + (1.0 - weight) * (
                        lexical_head.predict_proba(kept) if head.activation == "sigmoid"
                        else lexical_head.decision_function(kept))
                heads[name][keep] = np.clip(values, *head.range)
            if self.task == Task.REGRESSION:
                encoder[keep] = mean_over_windows(output.logits, output.owners, len(kept))
            elif self.task == Task.SINGLE_LABEL:
                encoder[keep] = mean_over_windows(softmax(output.logits), output.owners, len(kept))
            else:
                encoder[keep] = combine_windows(sigmoid(output.logits), output.owners, len(kept),
                                                self._neutral_index)
            windows[keep] = np.bincount(output.owners, minlength=len(kept))
            if self.lexical is not None:
                lexical = np.zeros_like(encoder)
                lexical[keep] = self.lexical.predict_proba(kept)
        elif self.lexical is not None:
            lexical = np.zeros_like(encoder)
        return ComponentScores(encoder, lexical, empty, windows, heads, emoji)

    def _normalized(self, texts: list[str]) -> list[str]:
        """``texts`` as the encoder and the lexical head read them (``normalize_emoji``)."""
        return texts if self.normalize is None else [self.normalize(text) for text in texts]

    def _emoji_meanings(self, given: list[str], read: list[str]) -> np.ndarray:
        """(n, n_labels) 1 where an emoji or emoticon beside a text's words means the label; a
        text the normaliser rewrote (emoji alone) has none, as it is read as words already."""
        out = np.zeros((len(given), len(self.labels)), dtype=np.float32)
        columns = {label: j for j, label in enumerate(self.labels)}
        for row, (original, normalized) in enumerate(zip(given, read)):
            if original == normalized:
                out[row, [columns[label] for label in emoji_labels(original) if label in columns]] = 1.0
        return out

    def lexical_scores(self, texts: Sequence[str], empty: np.ndarray) -> Optional[np.ndarray]:
        """The TF-IDF head's probabilities (rows of ``empty`` texts zero); ``None`` without a head.
        With :meth:`component_scores` of the model without a language, the scores of the same
        texts for several languages need one encoder run (see ``evaluate_track_a``)."""
        if self.lexical is None:
            return None
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        keep = np.flatnonzero(~empty)
        if len(keep):
            out[keep] = self.lexical.predict_proba(self._normalized([texts[i] for i in keep]))
        return out

    def blend(self, parts: ComponentScores, encoder_weight: Optional[float] = None,
              calibrated: bool = True) -> np.ndarray:
        """Final scores: the encoder/TF-IDF blend, then (``calibrated``, when the model has
        ``calibration.json``) the per-label calibration and the offsets of emoji beside words
        (when it has ``emoji_weights.json``)."""
        weight = self.encoder_weight if encoder_weight is None else encoder_weight
        scores = parts.encoder.copy() if parts.lexical is None else (  # parts stay reusable
            weight * parts.encoder + (1.0 - weight) * parts.lexical)
        if self.config.labels_head and self.config.labels_head in parts.heads:  # the second encoder's labels
            share = float(self.config.labels_head_weight)
            scores = (1.0 - share) * scores + share * parts.heads[self.config.labels_head]
        if calibrated and self.calibration is not None:
            scores = apply_platt(scores, *self.calibration)
        if calibrated and self.emoji_weights is not None and parts.emoji is not None:
            scores = shift_logits(scores, parts.emoji * self.emoji_weights)
        if parts.empty.any() and self.task != Task.REGRESSION:
            scores[parts.empty] = 0.0
            if self._neutral_index is not None:
                scores[parts.empty, self._neutral_index] = 1.0
        return scores

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(n_texts, n_labels) probabilities, columns in :attr:`labels` order (for a regression
        model: the predicted values, one column per target)."""
        batch = as_text_list(texts)
        return self.scores_and_decisions(batch, self.component_scores(batch))[0]

    def predict_heads(self, texts: Sequence[str]) -> dict:
        """The heads' outputs: ``{"vad": (n, 3) on 1-5, "intensity": (n, 5) on 0-3}`` (empty for
        a model without heads); columns in the order of ``self.heads[name].targets``."""
        return self.component_scores(as_text_list(texts)).heads

    def head_rollups(self, heads: dict) -> dict[str, list[RollupResult]]:
        """Per rollup that a sigmoid head backs (``HeadSpec.rollup``), one result per text: the
        head's emotions at or above their thresholds, ``neutral`` (scored 1 - the highest
        emotion) when none is."""
        out = {}
        for name, head in self.heads.items():
            if not head.rollup:
                continue
            probabilities, thresholds = heads[name], np.asarray(head.thresholds, dtype=np.float32)
            on = probabilities >= thresholds[None, :]
            out[head.rollup] = [
                RollupResult(head.rollup, tuple(t for t, o in zip(head.targets, row_on) if o) or (NEUTRAL,),
                             {**{t: float(p) for t, p in zip(head.targets, row)},
                              NEUTRAL: float(1.0 - row.max(initial=0.0))})
                for row, row_on in zip(probabilities, on)]
        return out

    def decide(self, scores: np.ndarray) -> np.ndarray:
        """Label decisions for score rows: thresholds (multi-label) or the best label (single-label).

        A multi-label model whose training data gave every text a label (GoEmotions, where
        ``neutral`` is a label) gives each text at least one: its best relative to its threshold.
        A model trained on data where some texts have none (config ``at_least_one_label: false``)
        may predict none."""
        if self.task == Task.REGRESSION:
            raise TypeError(f"model {self.name!r} is a regression model: it predicts values, not labels")
        if self.task == Task.SINGLE_LABEL:
            out = np.zeros(scores.shape, dtype=bool)
            out[np.arange(len(scores)), scores.argmax(axis=1)] = True
            return out
        return decide(scores, self.thresholds, self.config.at_least_one_label)

    def predict_labels(self, texts: Sequence[str]) -> np.ndarray:
        """(n_texts, n_labels) booleans: the label decisions of :meth:`predict`."""
        if self.task == Task.REGRESSION:
            return self.decide(self.predict_proba(texts))  # raises: a regression model has no labels
        batch = as_text_list(texts)
        return self.scores_and_decisions(batch, self.component_scores(batch))[1]

    @overload
    def predict(self, texts: str) -> EmotionResult: ...
    @overload
    def predict(self, texts: Iterable[str]) -> list[EmotionResult]: ...

    def predict(self, texts):
        """One :class:`EmotionResult` per text (a single result for a single string)."""
        single = isinstance(texts, str)
        batch = as_text_list(texts)
        parts = self.component_scores(batch)
        scores, decided = self.scores_and_decisions(batch, parts)
        if self.task == Task.REGRESSION:
            results = [EmotionResult(text=text, labels=(), scores={}, empty=bool(is_empty),
                                     windows=int(n_windows),
                                     values={t: float(v) for t, v in zip(self.labels, row)})
                       for text, row, is_empty, n_windows in zip(batch, scores, parts.empty, parts.windows)]
            return results[0] if single else results
        vad = parts.heads.get("vad")
        intensity = parts.heads.get("intensity")
        emotions = self.heads["intensity"].targets if "intensity" in self.heads else ()
        head_rollups = self.head_rollups(parts.heads)
        results = [
            EmotionResult(
                text=text,
                labels=tuple(label for label, on in zip(self.labels, row_on) if on)
                if not is_empty else (NEUTRAL,) if self._neutral_index is not None else (),
                scores={label: float(s) for label, s in zip(self.labels, row)},
                empty=bool(is_empty),
                windows=int(n_windows),
                vad=VAD(*map(float, vad[i])) if vad is not None else None,
                intensity={e: float(v) for e, v in zip(emotions, intensity[i])} if intensity is not None else {},
                _rollups={name: rolled[i] for name, rolled in head_rollups.items()},
            )
            for i, (text, row, row_on, is_empty, n_windows) in enumerate(
                zip(batch, scores, decided, parts.empty, parts.windows))
        ]
        return results[0] if single else results

    def annotate(self, frame, text_column: str = "text", *,
                 rollups: Optional[Sequence[RollupSpec]] = None,
                 scores: bool = True, prefix: str = ""):
        """Return a copy of a pandas DataFrame with emotion columns added beside its own.

        The columns are the result schema of docs/results.md, flat: ``{prefix}labels`` (predicted
        labels by score, joined by ``;``), ``{prefix}top_label``, ``{prefix}top_score``,
        ``{prefix}empty``, VAD and intensity columns for a model with those heads, one
        ``{prefix}<rollup>`` column per rollup (default: ekman and sentiment when the model has the
        GoEmotions labels) and, with ``scores=True``, ``{prefix}score_<label>`` and
        ``{prefix}<rollup>_score_<category>`` columns; a regression model adds
        ``{prefix}value_<target>`` columns.
        """
        from ..io.annotations import annotate_frame

        if rollups is None:
            rollups = default_rollups(self.labels)
        return annotate_frame(self, frame, text_column, "DataFrame", rollups, scores, prefix)

    def explain(self, text: str, labels: Optional[Sequence[str]] = None, *, max_words: int = 200,
                stop: Callable[[], bool] | None = None, chunk_runs: int = 32):
        """Which words carry each predicted emotion (or each of ``labels``): an
        :class:`~emoscope.text.explain.Explanation` with signed weights and character offsets,
        found by leaving out one word at a time (the first ``max_words`` words).  ``stop``, asked
        between chunks of about ``chunk_runs`` model runs, can end the work early: it then raises
        :class:`~emoscope.text.explain.ExplainCancelled`."""
        from .explain import explain

        if self.task == Task.REGRESSION:
            raise TypeError(f"model {self.name!r} predicts values; explain covers label models")
        # the text's language is detected once: a text with words left out is read as the same language
        reader = self.for_language(self.detect_language([text])[0]) if self.language == AUTO_LANGUAGE else self
        return explain(reader, text, labels, max_words, stop=stop, chunk_runs=chunk_runs)

    def __repr__(self) -> str:
        return f"EmotionModel(name={self.name!r}, labels={len(self.labels)}, directory='{self.directory}')"


def as_text_list(texts) -> list[str]:
    """Texts as a list of valid Unicode strings (``None`` is an empty text)."""
    if isinstance(texts, str):
        return [texts]
    out = []
    for i, text in enumerate(texts):
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise TypeError(f"text {i} is {type(text).__name__}, expected str")
        out.append(_valid_unicode(text))
    return out


def _valid_unicode(text: str) -> str:
    """Replace lone surrogates (possible in JSON input) that no tokenizer can encode."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
