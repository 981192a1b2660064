"""SemEval 2025 Task 11 (BRIGHTER): one CSV per language and split (``train/eng.csv``,
``dev/deu.csv``), columns ``id``, ``text`` and a column for each of the language's emotions:
0/1 in track A (presence), 0-3 in track B (intensity).

Not every language has every emotion (English has no ``disgust``, Afrikaans no ``surprise``), so
track A targets are kept with ``NOT_ANNOTATED`` (-1) where a language has no such column.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ..errors import InputDecodeError, InputNotFoundError
from ..persistence import Task
from .labelled import NOT_ANNOTATED, LabelSpec, LabelledTexts, read_labelled_texts

TRACK_A_LABELS = ("anger", "disgust", "fear", "joy", "sadness", "surprise")
INTENSITY_EMOTIONS = ("anger", "fear", "joy", "sadness", "surprise")  # track B English
LICENCE = "SemEval 2025 Task 11 (BRIGHTER; Muhammad et al.), CC BY 4.0"


def read_track_a_file(path: Path) -> LabelledTexts:
    """One language's rows of one split: (n, 6) targets, ``NOT_ANNOTATED`` for an absent emotion."""
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
                        target.append(NOT_ANNOTATED)
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
    return LabelledTexts(texts, np.array(rows, dtype=np.int8).reshape(-1, len(TRACK_A_LABELS)),
                         list(TRACK_A_LABELS), Task.MULTI_LABEL, language=path.stem)


def read_track_a(directory: str | Path, split: str, languages=None) -> dict[str, LabelledTexts]:
    """``{language: rows}`` for every ``<split>/<language>.csv`` under ``directory``."""
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


def read_intensity(track_b: str | Path, language: str = "eng") -> dict[str, LabelledTexts]:
    """Track B (``train/<language>.csv``, ``dev/<language>.csv``: intensities 0-3): {split: rows}."""
    track_b = Path(track_b)
    out = {}
    for split in ("train", "dev"):
        path = track_b / split / f"{language}.csv"
        if not path.is_file():
            raise InputNotFoundError(f"{path}: no such file (SemEval 2025 track B {split})")
        rows = read_labelled_texts(str(path), LabelSpec(target_columns=INTENSITY_EMOTIONS))
        rows.targets = rows.targets.astype(np.float64)
        rows.language = language
        out[split] = rows
    return out
