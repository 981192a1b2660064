"""EmoBank (Buechel & Hahn, EACL 2017): sentences rated for valence, arousal and dominance (1-5).

``emobank.csv`` has columns ``id``, ``split`` (train/dev/test), ``V``, ``A``, ``D``, ``text``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputNotFoundError
from .labelled import LabelSpec, LabelledTexts, read_labelled

VAD_TARGETS = ("valence", "arousal", "dominance")
VAD_COLUMNS = ("V", "A", "D")
LICENCE = "EmoBank (Buechel & Hahn, EACL 2017), CC BY-SA 4.0"


def read_emobank(path: str | Path) -> dict[str, LabelledTexts]:
    """{split: rows} with (n, 3) targets named valence, arousal, dominance; ``path`` is
    ``emobank.csv`` or the folder holding it."""
    path = Path(path)
    if path.is_dir():
        path = path / "emobank.csv"
    if not path.is_file():
        raise InputNotFoundError(f"{path}: no such file (EmoBank: a directory holding emobank.csv, or the file)")
    data = read_labelled(str(path), LabelSpec(target_columns=VAD_COLUMNS), split_column="split")
    out = {}
    for split, rows in data.splits.items():
        rows.targets = rows.targets.astype(np.float64)
        rows.labels = list(VAD_TARGETS)
        out[split] = rows
    return out
