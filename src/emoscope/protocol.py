"""What every model kind offers, whatever it reads (text today; speech and faces beside it).

A model kind is a class: :class:`~emoscope.text.EmotionModel` (labels, scores, VAD and
intensity of texts), :class:`~emoscope.text.ContextEmotionModel` (one emotion per dialogue
turn, read with the turns around it), :class:`~emoscope.text.ZeroShotClassifier` (labels given at
run time).  Each one:

- is made by ``Kind.load(name_or_directory=None)`` (``None``: its shipped default) and written by
  ``model.save_pretrained(directory)`` into a directory that ``load`` reads back;
- says ``model.name`` and ``model.labels``;
- answers ``model.predict(one_input)`` with one frozen result, and ``model.predict(inputs)`` with
  a list of them; a result has ``labels`` (what was predicted, best first where scores differ),
  ``scores`` (one per label) and ``to_dict()`` (JSON-ready).

Code that takes "any model" types its argument as :class:`EmotionPredictor` and tells kinds
apart with ``isinstance``, never by probing for methods.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Protocol, Union, runtime_checkable


@runtime_checkable
class Prediction(Protocol):
    labels: tuple[str, ...]
    scores: dict[str, float]

    def top(self, k: int = ...) -> list[tuple[str, float]]: ...

    def to_dict(self) -> dict: ...


@runtime_checkable
class EmotionPredictor(Protocol):
    labels: list[str]

    @property
    def name(self) -> str: ...

    @classmethod
    def load(cls, path: Optional[Union[str, Path]] = None, **kwargs: Any) -> "EmotionPredictor": ...

    def save_pretrained(self, path: Union[str, Path]) -> Path: ...

    def predict(self, inputs: Any) -> Any: ...
