"""Zero-shot labels: score texts against labels the model never saw.

Each label gets a short description (by default ``"This text expresses {label}."``; users may give
their own).  The shipped sentence encoder (``minilm-embed``: all-MiniLM-L6-v2, mean pooling, int8
ONNX) embeds the text and each description; the cosine similarities become scores through a
softmax with a temperature:

    score(label) = exp(cos(text, label) / T) / sum over labels of exp(cos(text, other) / T)

so the scores of one text sum to 1 over the labels given.  They say which of *these* labels fits
best, not whether any fits: with one label the score is always 1.  A text's predicted labels are
its best-scoring one plus any other whose score is at least ``multi_label_ratio`` times the best.
The defaults ``T = 0.1`` and ratio 0.6 were chosen on the GoEmotions dev split with the Ekman
names and descriptions (the only labelled data used; the model card of ``minilm-embed`` reports
the grid's best and the test result at these defaults).  They were chosen with the encoder's
earlier dynamic-int8 graph; on the static one the grid's best (T 0.07, ratio 0.5) scores 0.0003
more on dev, too little to move them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping, Optional, Sequence, Union

import numpy as np

from ..errors import InputDecodeError, InputNotFoundError, ModelLoadError, TaxonomyError
from ..persistence import (ModelConfig, Task, read_config, read_zero_shot_settings, resolve_model_dir,
                           write_model, write_zero_shot_settings)
from .encoder import OnnxTextEncoder
from .model import as_text_list, softmax
from .results import EmotionResult

DEFAULT_ENCODER = "minilm-embed"
DEFAULT_TEMPLATE = "This text expresses {label}."
DEFAULT_TEMPERATURE = 0.1
DEFAULT_RATIO = 0.6


class SentenceEncoder:
    """Unit-length sentence embeddings from an ONNX graph with an ``embedding`` output."""

    def __init__(self, directory: Optional[Union[str, Path]] = None, num_threads: Optional[int] = None):
        self.directory = resolve_model_dir(directory, DEFAULT_ENCODER)
        self.config = read_config(self.directory)
        if self.config.task not in (Task.SENTENCE_EMBEDDING, Task.ZERO_SHOT):
            raise ModelLoadError(f"{self.directory}: a {self.config.task.value} model, not a sentence encoder")
        self.encoder = OnnxTextEncoder.from_config(self.directory, self.config, num_threads=num_threads)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) unit vectors; a long text is the normalised mean of its windows."""
        texts = list(texts)
        out = self.encoder.run(texts, output="embedding")
        sums = np.zeros((len(texts), out.logits.shape[1]), dtype=np.float32)
        np.add.at(sums, out.owners, out.logits)
        return sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)


def read_label_descriptions(path: Union[str, Path]) -> dict[str, str]:
    """Labels and descriptions from a JSON object ``{label: description}`` or a text file of
    ``label: description`` lines (``#`` starts a comment)."""
    path = Path(path)
    if not path.is_file():
        raise InputNotFoundError(f"{path}: no such file")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputDecodeError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise TaxonomyError(f"{path}: expected a JSON object {{label: description}}")
        return {str(k).strip(): v.strip() for k, v in data.items()}
    out = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        label, sep, description = line.partition(":")
        if not sep or not label.strip() or not description.strip():
            raise InputDecodeError(f"{path}:{lineno}: expected 'label: description'")
        out[label.strip()] = description.strip()
    return out


class ZeroShotClassifier:
    """Scores texts against any labels, from label descriptions and sentence similarity.

    >>> clf = ZeroShotClassifier(["nostalgia", "awe", "boredom"])
    >>> clf.predict("I miss the summers at my grandmother's house").labels
    ('nostalgia',)
    """

    task = "zero-shot"

    def __init__(self, labels: Union[Sequence[str], Mapping[str, str]], *,
                 encoder: Optional[SentenceEncoder] = None, template: str = DEFAULT_TEMPLATE,
                 temperature: float = DEFAULT_TEMPERATURE, multi_label_ratio: float = DEFAULT_RATIO,
                 num_threads: Optional[int] = None):
        descriptions = dict(labels) if isinstance(labels, Mapping) else {
            label: template.format(label=label) for label in labels}
        descriptions = {k.strip(): v for k, v in descriptions.items() if k.strip()}
        if not descriptions:
            raise TaxonomyError("zero-shot needs at least one label")
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        self.labels = list(descriptions)
        self.descriptions = descriptions
        self.temperature = temperature
        self.multi_label_ratio = multi_label_ratio
        self.encoder = encoder or SentenceEncoder(num_threads=num_threads)
        self.directory = self.encoder.directory
        self.label_vectors = self.encoder.encode(list(descriptions.values()))

    @property
    def name(self) -> str:
        return f"zero-shot[{', '.join(self.labels)}]"

    @property
    def identity(self) -> str:
        """What decides the output (recorded by resumable jobs)."""
        return json.dumps({"encoder": str(self.directory.resolve()), "labels": self.descriptions,
                           "temperature": self.temperature, "ratio": self.multi_label_ratio})

    def similarities(self, texts: Sequence[str]) -> np.ndarray:
        return self.encoder.encode(as_text_list(texts)) @ self.label_vectors.T

    def probabilities(self, similarities: np.ndarray) -> np.ndarray:
        """Scores from cosine similarities: a softmax at this classifier's temperature."""
        return softmax(similarities / self.temperature)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.probabilities(self.similarities(texts))

    def decide(self, scores: np.ndarray) -> np.ndarray:
        return scores >= self.multi_label_ratio * scores.max(axis=1, keepdims=True)

    def predict(self, texts):
        single = isinstance(texts, str)
        batch = as_text_list(texts)
        scores = self.predict_proba(batch) if batch else np.zeros((0, len(self.labels)))
        decided = self.decide(scores)
        results = [EmotionResult(text=t, labels=tuple(l for l, on in zip(self.labels, row_on) if on),
                                 scores={l: float(s) for l, s in zip(self.labels, row)},
                                 empty=not t.strip())
                   for t, row, row_on in zip(batch, scores, decided)]
        return results[0] if single else results

    # -- loading and saving -------------------------------------------------------------
    @classmethod
    def load(cls, path: Union[str, Path], *, num_threads: Optional[int] = None) -> "ZeroShotClassifier":
        """A classifier written by :meth:`save_pretrained` (its encoder and label descriptions)."""
        directory = resolve_model_dir(path, DEFAULT_ENCODER)
        settings = read_zero_shot_settings(directory)
        return cls(settings["descriptions"], encoder=SentenceEncoder(directory, num_threads=num_threads),
                   temperature=settings["temperature"], multi_label_ratio=settings["multi_label_ratio"])

    def save_pretrained(self, path: Union[str, Path]) -> Path:
        """Write the encoder and the label descriptions to ``path`` (read back by :meth:`load`)."""
        source = self.encoder.directory
        config = ModelConfig.from_dict({**self.encoder.config.to_dict(), "task": Task.ZERO_SHOT.value})
        target = write_model(path, config, self.labels, graph=source / config.onnx_file,
                             tokenizer=source / config.tokenizer_file)
        write_zero_shot_settings(target, {"descriptions": self.descriptions, "temperature": self.temperature,
                                          "multi_label_ratio": self.multi_label_ratio})
        return target

    def __repr__(self) -> str:
        return f"ZeroShotClassifier(labels={self.labels!r}, temperature={self.temperature})"
