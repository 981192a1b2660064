"""The central model object: :class:`EmotionModel` loads a model directory and predicts."""

from __future__ import annotations

import copy
import json
import shutil
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Iterable, Mapping, Optional, Sequence, Union, overload

import numpy as np

from .calibration import apply_platt, load_calibration
from .errors import ModelLoadError
from .inference import DEFAULT_BATCH_SIZE, OnnxTextEncoder, sigmoid  # noqa: F401 (re-exported)
from .lexical import LexicalHead
from .metrics import decide
from .taxonomy import Rollup, default_rollups, load_rollup

DEFAULT_MODEL = "goemotions-minilm"
CONFIG_FILE = "config.json"
LABELS_FILE = "labels.json"
THRESHOLDS_FILE = "thresholds.json"
LANGUAGE_THRESHOLDS_FILE = "language_thresholds.json"  # {language: {label: threshold}}, optional
NEUTRAL = "neutral"
MULTI_LABEL = "multi-label-classification"
SINGLE_LABEL = "single-label-classification"
REGRESSION = "regression"
# Tasks whose outputs are per-label sigmoid scores decided by thresholds (a dialogue context
# model is one, read through emoscope.dialogue).
CONTEXT_TASK = "dialogue-turn-classification"
SIGMOID_TASKS = (MULTI_LABEL, CONTEXT_TASK)

RollupSpec = Union[str, Path, Mapping, Rollup]


def shipped_model_dir(name: str = DEFAULT_MODEL) -> Path:
    return Path(str(resources.files("emoscope") / "models" / name))


@dataclass(frozen=True)
class RollupResult:
    """Scores and predicted categories of one text under a rollup (e.g. Ekman)."""

    name: str
    labels: tuple[str, ...]
    scores: dict[str, float]

    def top(self, k: int = 1) -> list[tuple[str, float]]:
        return sorted(self.scores.items(), key=lambda kv: kv[1], reverse=True)[:k]


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

    def top(self, k: int = 3) -> list[tuple[str, float]]:
        """The k highest-scoring labels as (label, score), best first."""
        return sorted(self.scores.items(), key=lambda kv: kv[1], reverse=True)[:k]

    def rollup(self, spec: RollupSpec = "ekman") -> RollupResult:
        """Roll fine labels up to coarser categories: ``"ekman"``, ``"sentiment"``, a mapping
        ``{category: [fine labels]}`` or a JSON/YAML file holding one."""
        key = spec if isinstance(spec, (str, Path)) else None
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
        """A JSON-ready dict; ``rollups`` default to the built-ins that apply to the labels."""
        if rollups is None:
            rollups = default_rollups(list(self.scores))
        out = {"text": self.text, "labels": list(self.labels),
               "scores": {k: round(v, 6) for k, v in self.scores.items()}, "empty": self.empty}
        if self.values:
            out["values"] = {k: round(v, 6) for k, v in self.values.items()}
        if self.vad is not None:
            out["vad"] = {k: round(v, 4) for k, v in self.vad.to_dict().items()}
            out["vad_rescaled"] = {k: round(v, 4) for k, v in self.vad.rescaled().to_dict().items()}
        if self.intensity:
            out["intensity"] = {k: round(v, 4) for k, v in self.intensity.items()}
        for spec in rollups:
            r = self.rollup(spec)
            out[r.name] = {"labels": list(r.labels),
                           "scores": {k: round(v, 6) for k, v in r.scores.items()}}
        return out


@dataclass
class ComponentScores:
    """Per-text probabilities of each part of the model before blending (used by training)."""

    encoder: np.ndarray
    lexical: Optional[np.ndarray]
    empty: np.ndarray
    windows: np.ndarray
    heads: dict = field(default_factory=dict)  # head name -> (n_texts, n_targets) values


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


class EmotionModel:
    """Multi-label emotion classifier backed by an ONNX encoder (plus an optional lexical head).

    >>> model = EmotionModel.load()
    >>> model.predict("Thank you so much, you made my day!").labels
    ('gratitude',)
    """

    def __init__(self, directory: Path, config: dict, labels: list[str], thresholds: np.ndarray,
                 encoder: OnnxTextEncoder, lexical: Optional[LexicalHead]):
        self.directory = directory
        self.config = config
        self.labels = labels
        self.thresholds = thresholds
        self.encoder = encoder
        self.lexical = lexical
        self.encoder_weight = float(config.get("encoder_weight", 1.0)) if lexical else 1.0
        self.task = config.get("task", MULTI_LABEL)
        self.calibration = load_calibration(directory, labels) if self.task == MULTI_LABEL else None
        self._neutral_index = labels.index(NEUTRAL) if NEUTRAL in labels else None
        # Extra graph outputs from the same pass:
        # {"vad": {"output", "targets", "range", "windows": "mean" | "max", "neutral"}}
        self.heads: dict = config.get("heads", {}) if self.task == MULTI_LABEL else {}
        path = directory / LANGUAGE_THRESHOLDS_FILE
        self.language_thresholds: dict = (json.loads(path.read_text(encoding="utf-8"))
                                          if path.is_file() else {})
        self.language: Optional[str] = None

    # -- loading and saving -------------------------------------------------------------
    @classmethod
    def load(cls, path: Optional[Union[str, Path]] = None, *, num_threads: Optional[int] = None,
             batch_size: Optional[int] = None) -> "EmotionModel":
        """Load the shipped model (``path=None``), a shipped model by name, or a directory."""
        if path is None:
            directory = shipped_model_dir()
        elif not Path(path).exists() and shipped_model_dir(str(path)).is_dir():
            directory = shipped_model_dir(str(path))
        else:
            directory = Path(path)
        if not (directory / CONFIG_FILE).is_file():
            raise ModelLoadError(f"{directory}: not an emoscope model directory (no {CONFIG_FILE})")
        try:
            config = json.loads((directory / CONFIG_FILE).read_text(encoding="utf-8"))
            labels = json.loads((directory / LABELS_FILE).read_text(encoding="utf-8"))
            threshold_map = json.loads((directory / THRESHOLDS_FILE).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ModelLoadError(f"{directory}: cannot read model files: {exc}") from exc
        thresholds = np.array([threshold_map.get(label, 0.5) for label in labels], dtype=np.float32)
        task = config.get("task", MULTI_LABEL)
        if task not in (*SIGMOID_TASKS, SINGLE_LABEL, REGRESSION):
            raise ModelLoadError(f"{directory}: unknown task {task!r} in {CONFIG_FILE}")
        encoder = OnnxTextEncoder.from_config(directory, config, num_threads=num_threads,
                                              batch_size=batch_size)
        lexical = LexicalHead.load(directory) if config.get("lexical") else None
        return cls(directory, config, labels, thresholds, encoder, lexical)

    @classmethod
    def from_pretrained(cls, path: Optional[Union[str, Path]] = None, **kwargs) -> "EmotionModel":
        return cls.load(path, **kwargs)

    def save_pretrained(self, path: Union[str, Path]) -> Path:
        """Copy this model's directory to ``path`` (thresholds as currently set)."""
        target = Path(path)
        if target.resolve() != self.directory.resolve():
            shutil.copytree(self.directory, target, dirs_exist_ok=True)
        (target / THRESHOLDS_FILE).write_text(
            json.dumps(dict(zip(self.labels, map(float, self.thresholds))), indent=2) + "\n",
            encoding="utf-8")
        return target

    def for_language(self, language: str) -> "EmotionModel":
        """This model deciding with the thresholds chosen for ``language`` (a model trained on
        several languages, such as ``semeval-multilingual-e5``, keeps one set per language);
        scores are unchanged.  The returned model shares this one's encoder."""
        if language not in self.language_thresholds:
            known = ", ".join(sorted(self.language_thresholds)) or "none"
            raise ModelLoadError(f"model {self.name!r} has no thresholds for language {language!r} "
                                 f"(it has: {known})")
        chosen = self.language_thresholds[language]
        model = copy.copy(self)
        model.thresholds = np.array([chosen.get(l, t) for l, t in zip(self.labels, self.thresholds)],
                                    dtype=np.float32)
        model.language = language
        return model

    @property
    def name(self) -> str:
        return str(self.config.get("name", self.directory.name))

    # -- prediction ----------------------------------------------------------------------
    def component_scores(self, texts: Sequence[str]) -> ComponentScores:
        texts = list(texts)
        empty = np.array([not t.strip() for t in texts], dtype=bool)
        keep = np.flatnonzero(~empty)
        encoder = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        windows = np.zeros(len(texts), dtype=np.int64)
        lexical = None
        heads = {name: np.full((len(texts), len(h["targets"])), h["neutral"], dtype=np.float32)
                 for name, h in self.heads.items()}  # an empty text keeps each head's neutral value
        if len(keep):
            kept = [texts[i] for i in keep]
            output = self.encoder.run(kept, extra_outputs=[h["output"] for h in self.heads.values()])
            for name, head in self.heads.items():
                merge = mean_over_windows if head.get("windows") == "mean" else max_over_windows
                values = merge(output.extra[head["output"]], output.owners, len(kept))
                heads[name][keep] = np.clip(values, *head["range"])
            if self.task == REGRESSION:
                encoder[keep] = mean_over_windows(output.logits, output.owners, len(kept))
            elif self.task == SINGLE_LABEL:
                encoder[keep] = mean_over_windows(softmax(output.logits), output.owners, len(kept))
            else:
                encoder[keep] = combine_windows(sigmoid(output.logits), output.owners, len(kept),
                                                self._neutral_index)
            windows[keep] = np.bincount(output.owners, minlength=len(kept))
        if self.lexical is not None:
            lexical = np.zeros_like(encoder)
            if len(keep):
                lexical[keep] = self.lexical.predict_proba(kept)
        return ComponentScores(encoder, lexical, empty, windows, heads)

    def blend(self, parts: ComponentScores, encoder_weight: Optional[float] = None,
              calibrated: bool = True) -> np.ndarray:
        """Final scores: the encoder/TF-IDF blend, then (``calibrated``, when the model has
        ``calibration.json``) the per-label calibration."""
        weight = self.encoder_weight if encoder_weight is None else encoder_weight
        scores = parts.encoder.copy() if parts.lexical is None else (  # parts stay reusable
            weight * parts.encoder + (1.0 - weight) * parts.lexical)
        if calibrated and self.calibration is not None:
            scores = apply_platt(scores, *self.calibration)
        if parts.empty.any() and self.task != REGRESSION:
            scores[parts.empty] = 0.0
            if self._neutral_index is not None:
                scores[parts.empty, self._neutral_index] = 1.0
        return scores

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(n_texts, n_labels) probabilities, columns in :attr:`labels` order (for a regression
        model: the predicted values, one column per target)."""
        return self.blend(self.component_scores(_as_list(texts)))

    def predict_heads(self, texts: Sequence[str]) -> dict:
        """The heads' outputs: ``{"vad": (n, 3) on 1-5, "intensity": (n, 5) on 0-3}`` (empty for
        a model without heads); columns in the order of ``config["heads"][name]["targets"]``."""
        return self.component_scores(_as_list(texts)).heads

    def decide(self, scores: np.ndarray) -> np.ndarray:
        """Label decisions for score rows: thresholds (multi-label) or the best label (single-label).

        A multi-label model whose training data gave every text a label (GoEmotions, where
        ``neutral`` is a label) gives each text at least one: its best relative to its threshold.
        A model trained on data where some texts have none (config ``at_least_one_label: false``)
        may predict none."""
        if self.task == REGRESSION:
            raise TypeError(f"model {self.name!r} is a regression model: it predicts values, not labels")
        if self.task == SINGLE_LABEL:
            out = np.zeros(scores.shape, dtype=bool)
            out[np.arange(len(scores)), scores.argmax(axis=1)] = True
            return out
        return decide(scores, self.thresholds, self.config.get("at_least_one_label", True))

    def predict_labels(self, texts: Sequence[str]) -> np.ndarray:
        """(n_texts, n_labels) booleans: the label decisions of :meth:`predict`."""
        return self.decide(self.predict_proba(texts))

    @overload
    def predict(self, texts: str) -> EmotionResult: ...
    @overload
    def predict(self, texts: Iterable[str]) -> list[EmotionResult]: ...

    def predict(self, texts):
        """One :class:`EmotionResult` per text (a single result for a single string)."""
        single = isinstance(texts, str)
        batch = _as_list(texts)
        parts = self.component_scores(batch)
        scores = self.blend(parts)
        if self.task == REGRESSION:
            results = [EmotionResult(text=text, labels=(), scores={}, empty=bool(is_empty),
                                     windows=int(n_windows),
                                     values={t: float(v) for t, v in zip(self.labels, row)})
                       for text, row, is_empty, n_windows in zip(batch, scores, parts.empty, parts.windows)]
            return results[0] if single else results
        decided = self.decide(scores)
        vad = parts.heads.get("vad")
        intensity = parts.heads.get("intensity")
        emotions = self.heads.get("intensity", {}).get("targets", [])
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
            )
            for i, (text, row, row_on, is_empty, n_windows) in enumerate(
                zip(batch, scores, decided, parts.empty, parts.windows))
        ]
        return results[0] if single else results

    def annotate(self, frame, text_column: str = "text", *,
                 rollups: Optional[Sequence[RollupSpec]] = None,
                 scores: bool = True, prefix: str = ""):
        """Return a copy of a pandas DataFrame with emotion columns added beside its own.

        Adds ``{prefix}emotions`` (predicted labels joined by ``;``), ``{prefix}top_emotion``,
        one ``{prefix}<rollup>`` column per rollup (default: ekman and sentiment when the model
        has the GoEmotions labels) and, with ``scores=True``, a ``{prefix}score_<label>`` column
        per label; a regression model adds ``{prefix}value_<target>`` columns.
        """
        from .batch import annotate_chunk

        if rollups is None:
            rollups = default_rollups(self.labels)
        return annotate_chunk(self, frame, text_column, "DataFrame", rollups, scores, prefix)

    def explain(self, text: str, labels: Optional[Sequence[str]] = None):
        """Which words carry each predicted emotion (or each of ``labels``): an
        :class:`~emoscope.explain.Explanation` with signed weights and character offsets,
        found by leaving out one word at a time."""
        from .explain import explain

        if self.task == REGRESSION:
            raise TypeError(f"model {self.name!r} predicts values; explain covers label models")
        return explain(self, text, labels)

    def analyze_dialogue(self, turns, dialogue_id: str = "1", context_model=None):
        """Label each turn of a dialogue (``Turn`` objects, dicts with ``speaker`` and ``text``,
        or a :class:`~emoscope.dialogue.Dialogue`) and compute its emotion dynamics.

        Each turn's emotion comes from the context-aware dialogue model (``context_model``: the
        shipped one by default, a directory, or ``False`` for this model's Ekman rollup of the
        turn alone); its fine-grained labels come from this model."""
        from .dialogue.analysis import analyze_dialogue

        return analyze_dialogue(self, turns, dialogue_id, context_model)

    def __repr__(self) -> str:
        return f"EmotionModel(name={self.name!r}, labels={len(self.labels)}, directory='{self.directory}')"


def _as_list(texts) -> list[str]:
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
