"""Reader of the GoEmotions release (``{train,dev,test}.tsv`` and ``labels.txt``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputDecodeError, InputNotFoundError
from ..persistence import Task
from .labelled import LabelledTexts

SPLITS = ("train", "dev", "test")
LICENCE = "GoEmotions (Demszky et al., ACL 2020), CC BY 4.0"


def read_goemotions(data_dir: str | Path, split: str) -> LabelledTexts:
    """Read one split: ``text<TAB>comma-separated label ids<TAB>comment id`` per line; targets
    are (n, 28) booleans."""
    data_dir = Path(data_dir)
    if split not in SPLITS:
        raise ValueError(f"unknown GoEmotions split {split!r}; choose one of {', '.join(SPLITS)}")
    labels_path, split_path = data_dir / "labels.txt", data_dir / f"{split}.tsv"
    for path in (labels_path, split_path):
        if not path.is_file():
            raise InputNotFoundError(f"{path}: no such file (expected the GoEmotions release in {data_dir})")
    labels = [line.strip() for line in labels_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts, ids, rows = [], [], []
    with open(split_path, encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 2:
                raise InputDecodeError(f"{split_path}:{lineno}: expected text<TAB>label ids")
            try:
                label_ids = [int(x) for x in parts[1].split(",")]
            except ValueError:
                raise InputDecodeError(f"{split_path}:{lineno}: label ids {parts[1]!r} are not integers") from None
            texts.append(parts[0])
            ids.append(parts[2] if len(parts) > 2 else str(lineno))
            rows.append(label_ids)
    targets = np.zeros((len(texts), len(labels)), dtype=bool)
    for i, label_ids in enumerate(rows):
        targets[i, label_ids] = True
    return LabelledTexts(texts, targets, labels, Task.MULTI_LABEL, ids=ids)
