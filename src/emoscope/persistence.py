"""The on-disk format of an emoscope model directory.

This is the only module that reads or writes a model directory's files, whatever recipe made
the model and whatever kind it is::

    config.json                 ModelConfig: task, graph and tokenizer files, windows, heads
                                (audio models: sample rate and segment length instead;
                                image models: the side of a face crop)
    labels.json                 the model's labels (or regression targets), in output order
    thresholds.json             {label: threshold} for sigmoid tasks
    language_thresholds.json    {language: {label: threshold}} (optional)
    calibration.json            per-label Platt map {label: {a, b}} (optional)
    emoji_weights.json          per-label logit offset for emoji beside words {label: weight} (optional)
    lexical_vocab.txt, lexical.npz   the TF-IDF head (optional; ``config.lexical``)
    lexical/<language>.npz      one TF-IDF head per language, compact: terms (UTF-8, in the
                                archive), document frequencies, int8 weights with a scale per
                                label (optional; ``config.language_encoder_weights``: the
                                languages that have one and the encoder's weight in each blend)
    head_lexical/<head>.npz     a TF-IDF regression beside a head (e.g. VAD), compact as a
                                language's (optional; the head's ``encoder_weights``)
    zero_shot.json              a zero-shot classifier's label descriptions and settings
    model.onnx, tokenizer.json  the graph and the tokenizer
    context.onnx                dialogue-turn models: the recurrent layer over turn vectors
                                (optional; ``config.context_file``, see emoscope.text.context)
    heads.onnx, heads_tokenizer.json   a second encoder whose outputs are the heads (optional;
                                ``config.heads_file``: the accurate tier reads its labels with
                                the default model's graph and its heads with a larger encoder,
                                whose own labels head ``config.labels_head`` is blended in)
    model_card.json, README.md  the card (see :mod:`emoscope.card`)

Shipped models live in ``emoscope/models/<name>/``; :func:`resolve_model_dir` (in
:mod:`emoscope.model_dirs`, re-exported here) turns a name, a directory or ``None`` (the default)
into a directory, in one place for every model kind.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field, fields
from enum import Enum
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import numpy as np

from .errors import ModelLoadError
from .lexical_files import (LANGUAGE_ID_FILE, LEXICAL_VOCAB_FILE, LEXICAL_WEIGHTS_FILE,  # noqa: F401 (re-exported)
                            LexicalWeights, read_language_id, read_lexical, write_language_id, write_lexical)
from .model_dirs import (ALIASES, CONFIG_FILE, ENTRY_POINTS, PACKAGES, installed_model_dir,  # noqa: F401 (re-exported)
                         installed_model_names, resolve_model_dir, shipped_model_dir, shipped_model_names)

FORMAT_VERSION = 1
LABELS_FILE = "labels.json"
THRESHOLDS_FILE = "thresholds.json"
LANGUAGE_THRESHOLDS_FILE = "language_thresholds.json"
CALIBRATION_FILE = "calibration.json"
EMOJI_WEIGHTS_FILE = "emoji_weights.json"
LANGUAGE_LEXICAL_DIR = "lexical"
HEAD_LEXICAL_DIR = "head_lexical"
ZERO_SHOT_FILE = "zero_shot.json"
GRAPH_FILE = "model.onnx"
CONTEXT_GRAPH_FILE = "context.onnx"
HEADS_GRAPH_FILE, HEADS_TOKENIZER_FILE = "heads.onnx", "heads_tokenizer.json"  # the names recipes give them
TOKENIZER_FILE = "tokenizer.json"
DEFAULT_THRESHOLD = 0.5


class Task(str, Enum):
    """What a model directory's graph computes (``config.json``'s ``task``)."""

    MULTI_LABEL = "multi-label-classification"
    SINGLE_LABEL = "single-label-classification"
    REGRESSION = "regression"
    DIALOGUE_TURN = "dialogue-turn-classification"  # one label per turn, read with its context
    SENTENCE_EMBEDDING = "sentence-embedding"  # unit vectors, for zero-shot labels
    ZERO_SHOT = "zero-shot"  # label descriptions scored against a sentence encoder
    AUDIO_CLASSIFICATION = "audio-classification"  # one label per speech segment, from 16 kHz samples
    IMAGE_CLASSIFICATION = "image-classification"  # one label per face crop, from greyscale pixels

    @property
    def text(self) -> bool:
        """The graph reads word pieces (a tokenizer, windows over long texts)."""
        return self not in (Task.AUDIO_CLASSIFICATION, Task.IMAGE_CLASSIFICATION)

    @property
    def sigmoid(self) -> bool:
        """Per-label sigmoid scores decided by thresholds."""
        return self in (Task.MULTI_LABEL, Task.DIALOGUE_TURN)


@dataclass(frozen=True)
class HeadSpec:
    """An extra graph output computed in the same pass as the labels (e.g. VAD, intensity).

    A ``sigmoid`` head gives probabilities decided by ``thresholds``; with ``rollup`` set it is
    what that rollup reports (the multi-domain model's ``basic`` head backs ``ekman``: each basic
    emotion is present at or above its threshold, ``neutral`` when none is).  With
    ``encoder_weights`` (one per target) a TF-IDF regression (``head_lexical/<name>.npz``) is
    blended with the graph's output: ``w * graph + (1 - w) * TF-IDF``, before the range clips it."""

    output: str
    targets: tuple[str, ...]
    range: tuple[float, float]
    windows: str = "mean"  # how a long text's windows combine: "mean", "max" or "labels" (as the labels)
    neutral: float = 0.0  # the value of an empty text
    activation: str = "identity"  # or "sigmoid"
    thresholds: tuple[float, ...] = ()
    rollup: Optional[str] = None
    encoder_weights: tuple[float, ...] = ()

    def to_dict(self) -> dict:
        out = {"output": self.output, "targets": list(self.targets), "range": list(self.range),
               "windows": self.windows, "neutral": self.neutral}
        if self.activation != "identity":
            out["activation"] = self.activation
        if self.thresholds:
            out["thresholds"] = [round(float(t), 6) for t in self.thresholds]
        if self.rollup:
            out["rollup"] = self.rollup
        if self.encoder_weights:
            out["encoder_weights"] = [round(float(w), 6) for w in self.encoder_weights]
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "HeadSpec":
        return cls(str(data["output"]), tuple(data["targets"]), tuple(float(x) for x in data["range"]),
                   str(data.get("windows", "mean")), float(data.get("neutral", 0.0)),
                   str(data.get("activation", "identity")), tuple(float(t) for t in data.get("thresholds", ())),
                   data.get("rollup"), tuple(float(w) for w in data.get("encoder_weights", ())))


@dataclass
class ModelConfig:
    """``config.json``: everything the runtime needs to run the graph and read its outputs."""

    task: Task = Task.MULTI_LABEL
    name: Optional[str] = None
    onnx_file: str = GRAPH_FILE
    tokenizer_file: str = TOKENIZER_FILE
    max_tokens: int = 128  # word pieces per window, special tokens included
    stride: int = 96  # a long text's windows start every ``stride`` pieces
    batch_size: int = 1  # windows per graph run (see emoscope.text.encoder)
    long_texts: str = "windows"  # or "truncate": keep the first window only
    lexical: bool = False  # a TF-IDF head blended with the encoder
    encoder_weight: float = 1.0
    # {language: the encoder's weight in that language's blend}: the languages that have their own
    # TF-IDF head (lexical/<language>.npz), used when the language is given (EmotionModel.for_language)
    language_encoder_weights: dict[str, float] = field(default_factory=dict)
    at_least_one_label: bool = True
    # dialogue-turn models: the turns read with each turn (with ``context_file``: on each side of
    # it, through that graph; without: the earlier turns, written into the encoder's input)
    context_turns: int = 0
    context_file: Optional[str] = None
    # emoji and emoticons read as words: false, true (their names) or "meaning" (the words of
    # GoEmotions labels, for texts of emoji alone); see emoscope.text.normalize.normalizer
    normalize_emoji: Union[bool, str] = False
    quantized: Optional[bool] = None
    base_model: Optional[str] = None
    # audio models: the graph reads 16 kHz mono samples of one speech segment at a time, at most
    # ``segment_seconds`` long (emoscope.speech.audio cuts recordings into such segments)
    sample_rate: Optional[int] = None
    segment_seconds: Optional[float] = None
    # image models: the graph reads greyscale crops of image_size x image_size pixels in [0, 1]
    image_size: Optional[int] = None
    heads: dict[str, HeadSpec] = field(default_factory=dict)
    # a second graph (and its tokenizer) that computes every head of ``heads`` instead of the main
    # graph; it reads the same windows settings
    heads_file: Optional[str] = None
    heads_tokenizer_file: Optional[str] = None
    # a sigmoid head of ``heads`` with one output per label, blended with the label scores before
    # calibration: (1 - labels_head_weight) * (encoder / TF-IDF blend) + labels_head_weight * head
    # (the accurate tier: the default model's labels and the fine-tuned larger encoder's)
    labels_head: Optional[str] = None
    labels_head_weight: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)  # keys this version does not know, kept
    format_version: int = FORMAT_VERSION

    _ORDER = ("format_version", "task", "name", "onnx_file", "tokenizer_file", "max_tokens", "stride",
              "batch_size", "long_texts", "lexical", "encoder_weight", "language_encoder_weights",
              "at_least_one_label",
              "context_turns", "context_file", "normalize_emoji", "quantized", "base_model", "sample_rate", "segment_seconds",
              "image_size", "heads_file", "heads_tokenizer_file", "labels_head", "labels_head_weight")

    @classmethod
    def from_dict(cls, data: dict, source: str = CONFIG_FILE) -> "ModelConfig":
        try:
            task = Task(data.get("task", Task.MULTI_LABEL.value))
        except ValueError:
            raise ModelLoadError(f"{source}: unknown task {data.get('task')!r}") from None
        known = {f.name for f in fields(cls)} - {"task", "heads", "extra"}
        values = {k: v for k, v in data.items() if k in known}
        heads = {name: HeadSpec.from_dict(spec) for name, spec in (data.get("heads") or {}).items()}
        extra = {k: v for k, v in data.items() if k not in known and k not in ("task", "heads")}
        if values.get("normalize_emoji", False) not in (False, True, "names", "meaning"):
            raise ModelLoadError(f"{source}: normalize_emoji must be false, true, \"names\" or \"meaning\", "
                                 f"not {values['normalize_emoji']!r}")
        return cls(task=task, heads=heads, extra=extra, **values)

    def to_dict(self) -> dict:
        defaults = ModelConfig()
        out: dict = {}
        for key in self._ORDER:
            value = getattr(self, key)
            if key == "task":
                value = self.task.value
            always = key in ("format_version", "task", "onnx_file") or (
                self.task.text and key in ("tokenizer_file", "max_tokens", "stride", "batch_size"))
            if not self.task.text and key in ("tokenizer_file", "max_tokens", "stride", "batch_size",
                                              "long_texts", "at_least_one_label"):
                continue
            if always or (value is not None and value != getattr(defaults, key)) or \
                    (key in ("lexical", "encoder_weight") and self.task.sigmoid):
                out[key] = value
        if self.heads:
            out["heads"] = {name: spec.to_dict() for name, spec in self.heads.items()}
        return {**out, **self.extra}


@dataclass
class ModelFiles:
    """A model directory, read: what every model kind is built from."""

    directory: Path
    config: ModelConfig
    labels: list[str]
    thresholds: np.ndarray
    language_thresholds: dict = field(default_factory=dict)
    calibration: Optional[tuple[np.ndarray, np.ndarray]] = None
    lexical: Optional[LexicalWeights] = None
    emoji_weights: Optional[np.ndarray] = None  # (n_labels,) logit offsets, emoscope.train.emoji
    language_lexical: dict[str, LexicalWeights] = field(default_factory=dict)
    language_id: Optional[tuple[list[str], LexicalWeights]] = None  # (languages, TF-IDF head): language_id.npz
    head_lexical: dict[str, LexicalWeights] = field(default_factory=dict)  # {head: TF-IDF regression beside it}

    @property
    def graph(self) -> Path:
        return self.directory / self.config.onnx_file

    @property
    def tokenizer(self) -> Path:
        return self.directory / self.config.tokenizer_file

    @property
    def context_graph(self) -> Optional[Path]:
        return self.directory / self.config.context_file if self.config.context_file else None

    @property
    def heads_graph(self) -> Optional[tuple[Path, Path]]:
        """(graph, tokenizer) of the heads' own encoder, or ``None`` when the main graph has them."""
        if not self.config.heads_file:
            return None
        return self.directory / self.config.heads_file, self.directory / str(self.config.heads_tokenizer_file)


# -- reading ---------------------------------------------------------------------------------
def _read_json(path: Path, what: str):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"{path.parent}: cannot read {what} ({exc})") from None


def read_config(directory: Union[str, Path]) -> ModelConfig:
    directory = Path(directory)
    path = directory / CONFIG_FILE
    if not path.is_file():
        raise ModelLoadError(f"{directory}: not an emoscope model directory (no {CONFIG_FILE})")
    data = _read_json(path, CONFIG_FILE)
    if not isinstance(data, dict):
        raise ModelLoadError(f"{path}: expected a JSON object")
    return ModelConfig.from_dict(data, str(path))


def read_labels(directory: Union[str, Path]) -> list[str]:
    """The labels of a model directory, without reading its graph."""
    directory = Path(directory)
    if not (directory / LABELS_FILE).is_file():
        raise ModelLoadError(f"{directory}: not an emoscope model directory (no {LABELS_FILE})")
    labels = _read_json(directory / LABELS_FILE, LABELS_FILE)
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise ModelLoadError(f"{directory / LABELS_FILE}: expected a JSON list of label names")
    return labels


def read_model(directory: Union[str, Path]) -> ModelFiles:
    """Read every file of a model directory except the graph and the tokenizer (which the
    runtime opens itself); :class:`ModelLoadError` names what is missing or unreadable."""
    directory = Path(directory)
    config = read_config(directory)
    labels = read_labels(directory)
    threshold_map = (_read_json(directory / THRESHOLDS_FILE, THRESHOLDS_FILE)
                     if (directory / THRESHOLDS_FILE).is_file() else {})
    if config.task.sigmoid and not (directory / THRESHOLDS_FILE).is_file():
        raise ModelLoadError(f"{directory}: cannot read model files (no {THRESHOLDS_FILE})")
    thresholds = np.array([threshold_map.get(label, DEFAULT_THRESHOLD) for label in labels], dtype=np.float32)
    language = directory / LANGUAGE_THRESHOLDS_FILE
    files = ModelFiles(directory, config, labels, thresholds,
                       _read_json(language, LANGUAGE_THRESHOLDS_FILE) if language.is_file() else {})
    if (directory / CALIBRATION_FILE).is_file():
        files.calibration = read_calibration(directory, labels)
    if (directory / EMOJI_WEIGHTS_FILE).is_file():
        files.emoji_weights = read_emoji_weights(directory, labels)
    if config.lexical:
        files.lexical = read_lexical(directory)
    if files.context_graph is not None and not files.context_graph.is_file():
        raise ModelLoadError(f"{directory}: cannot read model files (no {config.context_file}, the context graph "
                             f"its {CONFIG_FILE} names)")
    for path in files.heads_graph or ():
        if not path.is_file():
            raise ModelLoadError(f"{directory}: cannot read model files (no {path.name}, which its {CONFIG_FILE} "
                                 f"names for the heads' encoder)")
    for language in config.language_encoder_weights:
        files.language_lexical[language] = read_lexical(directory / LANGUAGE_LEXICAL_DIR, language)
    files.language_id = read_language_id(directory)
    for name, head in config.heads.items():
        if head.encoder_weights:
            files.head_lexical[name] = read_lexical(directory / HEAD_LEXICAL_DIR, name, "head")
            if files.head_lexical[name].coef.shape[1] != len(head.targets) or \
                    len(head.encoder_weights) != len(head.targets):
                raise ModelLoadError(f"{directory}: the {name!r} head's TF-IDF regression or encoder weights do "
                                     f"not have its {len(head.targets)} targets")
    head = config.heads.get(config.labels_head) if config.labels_head else None
    if config.labels_head and (head is None or tuple(head.targets) != tuple(labels) or head.activation != "sigmoid"):
        raise ModelLoadError(f"{directory / CONFIG_FILE}: labels_head {config.labels_head!r} must name a sigmoid "
                             "head of heads whose targets are the model's labels")
    return files


def read_calibration(directory: Path, labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    data = _read_json(Path(directory) / CALIBRATION_FILE, CALIBRATION_FILE)["labels"]
    return (np.array([data[label]["a"] for label in labels], dtype=np.float32),
            np.array([data[label]["b"] for label in labels], dtype=np.float32))


def read_emoji_weights(directory: Path, labels: Sequence[str]) -> np.ndarray:
    data = _read_json(Path(directory) / EMOJI_WEIGHTS_FILE, EMOJI_WEIGHTS_FILE)
    try:
        return np.array([data["labels"].get(label, 0.0) for label in labels], dtype=np.float32)
    except (KeyError, TypeError, AttributeError, ValueError):
        raise ModelLoadError(f"{Path(directory) / EMOJI_WEIGHTS_FILE}: expected "
                             '{"labels": {label: weight}}') from None


# -- writing ---------------------------------------------------------------------------------
def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def write_thresholds(directory: Path, labels: Sequence[str], thresholds: Sequence[float],
                     file: str = THRESHOLDS_FILE) -> None:
    _write_json(Path(directory) / file, {label: round(float(t), 6) for label, t in zip(labels, thresholds)})


def write_config(directory: Path, config: ModelConfig) -> None:
    _write_json(Path(directory) / CONFIG_FILE, config.to_dict())


def write_calibration(directory: Path, labels: Sequence[str], a: np.ndarray, b: np.ndarray) -> None:
    _write_json(Path(directory) / CALIBRATION_FILE,
                {"method": "platt", "labels": {label: {"a": round(float(x), 6), "b": round(float(y), 6)}
                                               for label, x, y in zip(labels, a, b)}})


EMOJI_WEIGHTS_METHOD = ("added to the logit of a label's calibrated score when an emoji or emoticon beside the "
                        "text's words means that label (emoscope.train.emoji)")


def write_emoji_weights(directory: Path, labels: Sequence[str], weights: np.ndarray,
                        method: str = EMOJI_WEIGHTS_METHOD) -> None:
    _write_json(Path(directory) / EMOJI_WEIGHTS_FILE,
                {"method": method, "labels": {label: round(float(w), 6) for label, w in zip(labels, weights)}})


def remove_calibration(directory: Path) -> None:
    (Path(directory) / CALIBRATION_FILE).unlink(missing_ok=True)


def copy_tokenizer(source: Path, target: Path) -> None:
    """A ``tokenizer.json`` written without indentation: the same tokenizer in half the bytes (the
    multilingual model's 32,000 pieces: 2.0 MB indented, 1.0 MB not), room its 30 MB can spend."""
    text = Path(source).read_text(encoding="utf-8")
    Path(target).write_text(json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def write_model(directory: Union[str, Path], config: ModelConfig, labels: Optional[Sequence[str]], *,
                graph=None, tokenizer: Optional[Path] = None, thresholds=None, lexical=None,
                calibration: Optional[tuple] = None, language_thresholds: Optional[dict] = None,
                language_lexical: Optional[dict] = None, emoji_weights: Optional[np.ndarray] = None,
                context_graph=None, language_id: Optional[tuple] = None, head_lexical: Optional[dict] = None,
                heads_graph: Optional[tuple] = None, card=None) -> Path:
    """Write a model directory.  ``graph`` is an ONNX file to copy or an ``onnx.ModelProto`` to
    save; ``tokenizer`` a ``tokenizer.json`` to copy; ``card`` a :class:`~emoscope.card.ModelCard`;
    ``labels`` ``None`` for a model without labels (a sentence encoder); ``language_lexical``
    ``{language: head}`` with ``config.language_encoder_weights`` naming the same languages;
    ``context_graph`` an ONNX file to copy as ``config.context_file``; ``language_id``
    ``(languages, TF-IDF head)`` of a language identifier; ``head_lexical`` ``{head: TF-IDF
    regression}`` for the heads of ``config.heads`` with ``encoder_weights``; ``heads_graph``
    ``(graph, tokenizer)`` files to copy as ``config.heads_file`` and ``config.heads_tokenizer_file``.
    Files a previous model left there that this one does not have are removed."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    config.lexical = lexical is not None if config.task.sigmoid else config.lexical
    if graph is not None:
        target = directory / config.onnx_file
        if isinstance(graph, (str, Path)):
            if Path(graph).resolve() != target.resolve():
                shutil.copyfile(graph, target)
        else:
            import onnx

            onnx.save(graph, str(target))
    if context_graph is None and not config.context_file:
        (directory / CONTEXT_GRAPH_FILE).unlink(missing_ok=True)
    if context_graph is not None:
        if not config.context_file:
            raise ValueError("a context graph needs config.context_file, the name it is saved under")
        if Path(context_graph).resolve() != (directory / config.context_file).resolve():
            shutil.copyfile(context_graph, directory / config.context_file)
    if tokenizer is not None and Path(tokenizer).resolve() != (directory / config.tokenizer_file).resolve():
        copy_tokenizer(tokenizer, directory / config.tokenizer_file)
    if heads_graph is None and not config.heads_file:
        for name in (HEADS_GRAPH_FILE, HEADS_TOKENIZER_FILE):
            (directory / name).unlink(missing_ok=True)
    if heads_graph is not None:
        if not (config.heads_file and config.heads_tokenizer_file):
            raise ValueError("a heads graph needs config.heads_file and config.heads_tokenizer_file")
        for source, name in zip(heads_graph, (config.heads_file, config.heads_tokenizer_file)):
            if Path(source).resolve() != (directory / name).resolve():
                shutil.copyfile(source, directory / name)
    if labels is not None:
        _write_json(directory / LABELS_FILE, list(labels))
    if thresholds is not None:
        write_thresholds(directory, labels, thresholds)
    for present, name in ((lexical, LEXICAL_VOCAB_FILE), (lexical, LEXICAL_WEIGHTS_FILE),
                          (calibration, CALIBRATION_FILE), (language_thresholds, LANGUAGE_THRESHOLDS_FILE),
                          (emoji_weights, EMOJI_WEIGHTS_FILE), (language_id, LANGUAGE_ID_FILE)):
        if present is None:
            (directory / name).unlink(missing_ok=True)
    if lexical is not None:
        write_lexical(directory, lexical)
    if calibration is not None:
        write_calibration(directory, labels, *calibration)
    if language_thresholds is not None:
        _write_json(directory / LANGUAGE_THRESHOLDS_FILE, language_thresholds)
    if emoji_weights is not None:
        write_emoji_weights(directory, labels, emoji_weights)
    if language_id is not None:
        write_language_id(directory, *language_id)
    if sorted(language_lexical or {}) != sorted(config.language_encoder_weights):
        raise ValueError("language_lexical and config.language_encoder_weights must name the same languages")
    shutil.rmtree(directory / LANGUAGE_LEXICAL_DIR, ignore_errors=True)
    for language, head in (language_lexical or {}).items():
        write_lexical(directory / LANGUAGE_LEXICAL_DIR, head, language)
    if sorted(head_lexical or {}) != sorted(name for name, head in config.heads.items() if head.encoder_weights):
        raise ValueError("head_lexical must hold a TF-IDF regression for each head with encoder_weights")
    shutil.rmtree(directory / HEAD_LEXICAL_DIR, ignore_errors=True)
    for name, head in (head_lexical or {}).items():
        write_lexical(directory / HEAD_LEXICAL_DIR, head, name)
    write_config(directory, config)
    if card is not None:
        card.save(directory)
    return directory


def write_zero_shot_settings(directory: Path, settings: dict) -> None:
    _write_json(Path(directory) / ZERO_SHOT_FILE, settings)


def read_zero_shot_settings(directory: Path) -> dict:
    path = Path(directory) / ZERO_SHOT_FILE
    if not path.is_file():
        raise ModelLoadError(f"{directory}: not a saved zero-shot classifier (no {ZERO_SHOT_FILE}); "
                             f"give labels instead: ZeroShotClassifier(['joy', 'awe'])")
    return _read_json(path, ZERO_SHOT_FILE)


def copy_model(files: ModelFiles, target: Union[str, Path], *, thresholds=None) -> Path:
    """Write ``files``' model to ``target`` (thresholds as given, or as read), with its card."""
    from .card import ModelCard

    target = Path(target)
    if target.resolve() == files.directory.resolve():
        if thresholds is not None:
            write_thresholds(target, files.labels, thresholds)
        return target
    return write_model(target, files.config, files.labels, graph=files.graph,
                       tokenizer=files.tokenizer if files.config.task.text else None,
                       thresholds=files.thresholds if thresholds is None else thresholds,
                       lexical=files.lexical, calibration=files.calibration,
                       language_thresholds=files.language_thresholds or None,
                       language_lexical=files.language_lexical or None, emoji_weights=files.emoji_weights,
                       context_graph=files.context_graph, language_id=files.language_id,
                       head_lexical=files.head_lexical or None, heads_graph=files.heads_graph,
                       card=ModelCard.load(files.directory))
