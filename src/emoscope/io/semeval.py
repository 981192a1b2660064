"""SemEval 2025 Task 11 track A: one CSV per language and split (``train/eng.csv``, ``dev/deu.csv``),
columns ``id``, ``text`` and a 0/1 column for each of the language's emotions.

Not every language has every emotion (English has no ``disgust``, Afrikaans no ``surprise``), so
targets are kept with ``-1`` where a language has no such column.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputDecodeError, InputNotFoundError

TRACK_A_LABELS = ("anger", "disgust", "fear", "joy", "sadness", "surprise")
MISSING = -1


@dataclass
class LanguageSplit:
    """One language's rows of one split: texts and (n, 6) targets, ``-1`` for an absent emotion."""

    language: str
    texts: list[str]
    targets: np.ndarray

    @property
    def labels(self) -> list[str]:
        """The emotions this language is annotated for."""
        return [TRACK_A_LABELS[j] for j in annotated_columns(self.targets)]


def annotated_columns(targets: np.ndarray) -> list[int]:
    """Columns of (n, 6) track A targets that every row is annotated for (no ``-1``)."""
    return [j for j in range(targets.shape[1]) if (targets[:, j] != MISSING).all()]


def read_track_a_file(path: Path) -> LanguageSplit:
    path = Path(path)
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            if "text" not in columns:
                raise InputDecodeError(f"{path}: no 'text' column (columns: {', '.join(columns)})")
            present = [l for l in TRACK_A_LABELS if l in columns]
            if not present:
                raise InputDecodeError(f"{path}: none of the emotion columns {', '.join(TRACK_A_LABELS)}")
            texts, rows = [], []
            for line, row in enumerate(reader, start=2):
                target = []
                for label in TRACK_A_LABELS:
                    if label not in present:
                        target.append(MISSING)
                        continue
                    value = (row.get(label) or "").strip()
                    if value not in ("0", "1"):
                        raise InputDecodeError(f"{path}, line {line}, column {label!r}: expected 0 or 1, "
                                               f"got {value!r}")
                    target.append(int(value))
                texts.append(row.get("text") or "")
                rows.append(target)
    except UnicodeDecodeError as exc:
        raise InputDecodeError(f"{path}: not UTF-8 text ({exc})") from exc
    return LanguageSplit(path.stem, texts, np.array(rows, dtype=np.int8).reshape(-1, len(TRACK_A_LABELS)))


def read_track_a(directory: str | Path, split: str, languages=None) -> dict[str, LanguageSplit]:
    """``{language: LanguageSplit}`` for every ``<split>/<language>.csv`` under ``directory``."""
    folder = Path(directory) / split
    if not folder.is_dir():
        raise InputNotFoundError(f"{folder}: no such folder (expected SemEval 2025 track A with "
                                 f"train/ and dev/ folders of <language>.csv files)")
    files = sorted(folder.glob("*.csv"))
    if languages:
        wanted = set(languages)
        unknown = wanted - {f.stem for f in files}
        if unknown:
            raise InputNotFoundError(f"{folder}: no file for {', '.join(sorted(unknown))}")
        files = [f for f in files if f.stem in wanted]
    if not files:
        raise InputNotFoundError(f"{folder}: no <language>.csv files")
    return {f.stem: read_track_a_file(f) for f in files}
