"""Label sets and rollups, kept as data (JSON files beside this module).

A :class:`Rollup` maps fine labels (GoEmotions' 28) to coarser categories.  Built-ins are
``"ekman"`` and ``"sentiment"``; users pass their own as a dict or a JSON / YAML file of the form
``{"category": ["fine_label", ...], ...}`` (optionally wrapped as ``{"mapping": {...}}``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Sequence, Union

import numpy as np

from ..errors import TaxonomyError

_DATA_DIR = Path(__file__).parent
BUILTIN_ROLLUPS = ("ekman", "sentiment")


@lru_cache(maxsize=None)
def _load_builtin(name: str) -> dict:
    with open(_DATA_DIR / f"{name}.json", encoding="utf-8") as handle:
        return json.load(handle)


def goemotions_labels() -> list[str]:
    """The 28 GoEmotions labels in the dataset's id order (id 27 is neutral)."""
    return list(_load_builtin("goemotions")["labels"])


@dataclass(frozen=True)
class Rollup:
    """A mapping of fine labels onto coarser categories.

    A category's score is the highest score among its fine labels; a category is predicted when
    any of its fine labels is predicted.
    """

    name: str
    mapping: Mapping[str, tuple[str, ...]]
    description: str = ""
    # membership matrices already built, per tuple of fine labels: rollups are applied per result
    _matrices: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def categories(self) -> list[str]:
        return list(self.mapping)

    def check_labels(self, fine_labels: Sequence[str]) -> None:
        known = set(fine_labels)
        unknown = sorted({f for members in self.mapping.values() for f in members} - known)
        if unknown:
            raise TaxonomyError(
                f"rollup {self.name!r} names labels the model does not have: {', '.join(unknown)}"
                f" (model labels: {', '.join(fine_labels)})"
            )

    def matrix(self, fine_labels: Sequence[str]) -> np.ndarray:
        """A read-only boolean (n_fine, n_categories) membership matrix."""
        key = tuple(fine_labels)
        cached = self._matrices.get(key)
        if cached is not None:
            return cached
        self.check_labels(fine_labels)
        index = {label: i for i, label in enumerate(fine_labels)}
        out = np.zeros((len(fine_labels), len(self.mapping)), dtype=bool)
        for j, members in enumerate(self.mapping.values()):
            for fine in members:
                out[index[fine], j] = True
        out.setflags(write=False)
        self._matrices[key] = out
        return out

    def scores(self, fine_scores: np.ndarray, fine_labels: Sequence[str]) -> np.ndarray:
        """(n, n_fine) scores -> (n, n_categories): max over each category's members."""
        member = self.matrix(fine_labels)
        fine_scores = np.atleast_2d(fine_scores)
        out = np.zeros((fine_scores.shape[0], member.shape[1]), dtype=fine_scores.dtype)
        for j in range(member.shape[1]):
            if member[:, j].any():
                out[:, j] = fine_scores[:, member[:, j]].max(axis=1)
        return out

    def predicted(self, fine_predicted: np.ndarray, fine_labels: Sequence[str]) -> np.ndarray:
        """(n, n_fine) booleans -> (n, n_categories) booleans: any member predicted."""
        member = self.matrix(fine_labels).astype(np.int32)
        return (np.atleast_2d(fine_predicted).astype(np.int32) @ member) > 0

    def to_dict(self) -> dict:
        return {"name": self.name, "description": self.description,
                "mapping": {k: list(v) for k, v in self.mapping.items()}}


def _from_mapping(name: str, raw: object, description: str = "") -> Rollup:
    if isinstance(raw, Mapping) and "mapping" in raw:
        description = str(raw.get("description", description))
        name = str(raw.get("name", name))
        raw = raw["mapping"]
    if not isinstance(raw, Mapping) or not raw:
        raise TaxonomyError(f"rollup {name!r} must map category names to lists of fine labels")
    mapping: dict[str, tuple[str, ...]] = {}
    for category, members in raw.items():
        if isinstance(members, str):
            members = [members]
        if not isinstance(members, (list, tuple)) or not all(isinstance(m, str) for m in members):
            raise TaxonomyError(
                f"rollup {name!r}: category {category!r} must list fine labels as strings"
            )
        mapping[str(category)] = tuple(members)
    return Rollup(name=name, mapping=mapping, description=description)


@lru_cache(maxsize=None)
def _builtin_rollup(name: str) -> Rollup:
    return _from_mapping(name, _load_builtin(name))


def load_rollup(spec: Union[str, Path, Mapping, Rollup]) -> Rollup:
    """Return a rollup from a built-in name, a JSON/YAML file path, or a mapping."""
    if isinstance(spec, Rollup):
        return spec
    if isinstance(spec, Mapping):
        return _from_mapping("custom", spec)
    text = str(spec)
    if text in BUILTIN_ROLLUPS:
        return _builtin_rollup(text)
    path = Path(text)
    if not path.exists():
        raise TaxonomyError(
            f"unknown rollup {text!r}: use one of {', '.join(BUILTIN_ROLLUPS)} or a JSON/YAML file"
        )
    try:
        content = path.read_text(encoding="utf-8")
        if path.suffix.lower() in (".yaml", ".yml"):
            try:
                import yaml
            except ImportError as exc:  # pragma: no cover - depends on the environment
                raise TaxonomyError("reading a YAML rollup needs PyYAML: pip install pyyaml") from exc
            data = yaml.safe_load(content)
        else:
            data = json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TaxonomyError(f"{path}: not a valid rollup file: {exc}") from exc
    except Exception as exc:  # yaml.YAMLError and friends
        if isinstance(exc, TaxonomyError):
            raise
        raise TaxonomyError(f"{path}: not a valid rollup file: {exc}") from exc
    return _from_mapping(path.stem, data)


def default_rollups(labels: Sequence[str]) -> list[str]:
    """The built-in rollups that apply to a model's labels (both for the GoEmotions labels, none
    for a model trained on its own label set)."""
    known = set(labels)
    return [name for name in BUILTIN_ROLLUPS
            if {f for members in load_rollup(name).mapping.values() for f in members} <= known]


def resolve_rollups(labels: Sequence[str], specs=None) -> list:
    """The rollups to report for a model with these labels: ``specs`` (names, files, mappings or
    :class:`Rollup`), each checked against the labels, or the built-ins that apply."""
    if specs is None:
        return default_rollups(labels)
    for spec in specs:
        load_rollup(spec).check_labels(labels)
    return list(specs)
