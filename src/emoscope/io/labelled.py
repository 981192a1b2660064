"""Read a user's labelled table for ``emoscope train custom``.

Three ways to give the answers:

- ``label_columns=[a, b, c]``: multi-label, one 0/1 column per label;
- ``label_column=y``: one label per row (single-label), or with ``label_delimiter`` a delimited
  list of labels per row (multi-label);
- ``target_columns=[V, A]``: regression, one number per target.

Splits come from ``split_column`` (values ``train``, ``dev``/``validation``/``val``, ``test``;
without dev rows, ``dev_fraction`` of train is set aside as dev) or, without one, are drawn with a
fixed seed.  Rows with no text are dropped (and counted).
Every problem is reported as :class:`InputDecodeError` / :class:`UnknownColumnError` naming the
file, and the row (numbered as in the file: for CSV, line 2 is row 1) where there is one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from ..errors import InputDecodeError, UnknownColumnError
from ..model import MULTI_LABEL, REGRESSION, SINGLE_LABEL
from .tables import read_table

SPLIT_NAMES = {"train": "train", "dev": "dev", "validation": "dev", "valid": "dev", "val": "dev",
               "test": "test"}
TRUE_VALUES = {"1", "1.0", "true", "yes"}
FALSE_VALUES = {"0", "0.0", "false", "no", ""}


@dataclass
class LabelledSplit:
    texts: list[str]
    targets: np.ndarray  # (n, n_labels) 0/1 floats, or (n, n_targets) values


@dataclass
class LabelledData:
    task: str
    labels: list[str]
    splits: dict[str, LabelledSplit] = field(default_factory=dict)
    dropped_empty: int = 0
    split_source: str = ""


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def _need_columns(frame, columns: Sequence[str], name: str, role: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise UnknownColumnError(f"{name}: no {role} column {', '.join(map(repr, missing))}; "
                                 f"columns are: {', '.join(map(str, frame.columns)) or '(none)'}")


def read_labelled(path: str, *, text_column: str = "text", label_columns: Optional[Sequence[str]] = None,
                  label_column: Optional[str] = None, label_delimiter: Optional[str] = None,
                  target_columns: Optional[Sequence[str]] = None, split_column: Optional[str] = None,
                  dev_fraction: float = 0.1, test_fraction: float = 0.1, seed: int = 42,
                  require_splits: bool = True, known_labels: Optional[Sequence[str]] = None
                  ) -> LabelledData:
    """Read and check a labelled table.  For held-out data (``require_splits=False``) every row
    goes to ``train``, single-class labels are allowed, and ``known_labels`` (the trained
    model's) fixes the label order."""
    given = [x for x in (label_columns, label_column, target_columns) if x]
    if len(given) != 1:
        raise ValueError("give exactly one of label_columns, label_column or target_columns")
    frame = read_table(path)
    name = path
    if frame.shape[0] == 0:
        raise InputDecodeError(f"{name}: the file has no rows")
    _need_columns(frame, [text_column], name, "text")
    texts = [_cell(v) for v in frame[text_column].tolist()]
    keep = np.array([bool(t) for t in texts])
    if not keep.any():
        raise InputDecodeError(f"{name}: text column {text_column!r} has no text in any row")
    rows = np.arange(1, len(texts) + 1)

    if label_columns:
        _need_columns(frame, label_columns, name, "label")
        task, labels = MULTI_LABEL, list(label_columns)
        targets = np.zeros((len(texts), len(labels)), dtype=np.float32)
        for j, column in enumerate(labels):
            for i, value in enumerate(frame[column].tolist()):
                cell = _cell(value).lower()
                if cell in TRUE_VALUES:
                    targets[i, j] = 1.0
                elif cell not in FALSE_VALUES:
                    raise InputDecodeError(f"{name}: row {i + 1}: label column {column!r} holds "
                                           f"{_cell(value)!r}; expected 0 or 1")
    elif label_column:
        _need_columns(frame, [label_column], name, "label")
        cells = [_cell(v) for v in frame[label_column].tolist()]
        if label_delimiter:
            per_row = [[p.strip() for p in c.split(label_delimiter) if p.strip()] for c in cells]
            task = MULTI_LABEL
        else:
            per_row = [[c] if c else [] for c in cells]
            task = SINGLE_LABEL
        missing = [i for i, (k, p) in enumerate(zip(keep, per_row)) if k and not p]
        if missing and task == SINGLE_LABEL:
            raise InputDecodeError(f"{name}: row {missing[0] + 1}: no label in column {label_column!r}")
        labels = sorted({label for p in per_row for label in p})
        if known_labels is not None:
            unknown = sorted(set(labels) - set(known_labels))
            if unknown:
                raise InputDecodeError(f"{name}: label(s) {unknown} are not among the model's labels "
                                       f"{list(known_labels)}")
            labels = list(known_labels)
        index = {label: j for j, label in enumerate(labels)}
        targets = np.zeros((len(texts), len(labels)), dtype=np.float32)
        for i, p in enumerate(per_row):
            targets[i, [index[label] for label in p]] = 1.0
    else:
        _need_columns(frame, target_columns, name, "target")
        task, labels = REGRESSION, list(target_columns)
        targets = np.zeros((len(texts), len(labels)), dtype=np.float32)
        for j, column in enumerate(labels):
            for i, value in enumerate(frame[column].tolist()):
                try:
                    targets[i, j] = float(_cell(value))
                except ValueError:
                    raise InputDecodeError(f"{name}: row {i + 1}: target column {column!r} holds "
                                           f"{_cell(value)!r}, not a number") from None
                if not np.isfinite(targets[i, j]):
                    raise InputDecodeError(f"{name}: row {i + 1}: target column {column!r} is not finite")

    data = LabelledData(task, labels, dropped_empty=int((~keep).sum()))
    texts_kept = [t for t, k in zip(texts, keep) if k]
    targets, rows = targets[keep], rows[keep]
    if not require_splits:
        data.splits["train"] = LabelledSplit(texts_kept, targets)
        for split in ("dev", "test"):
            data.splits[split] = LabelledSplit([], targets[:0])
        data.split_source = "all rows"
        return data
    if task == SINGLE_LABEL and len(labels) < 2:
        raise InputDecodeError(f"{name}: label column {label_column!r} has only one class "
                               f"({labels[0]!r}); a classifier needs at least two")
    if task == MULTI_LABEL:
        for j, label in enumerate(labels):
            if targets[:, j].min() == targets[:, j].max():
                raise InputDecodeError(
                    f"{name}: label {label!r} has only one class (every row is "
                    f"{int(targets[0, j])}); drop it or add examples of both")
    if task == REGRESSION:
        for j, target in enumerate(labels):
            if targets[:, j].min() == targets[:, j].max():
                raise InputDecodeError(f"{name}: target {target!r} has the same value in every row")

    part = _assign_splits(frame, keep, split_column, name, dev_fraction, test_fraction, seed,
                          require_splits)
    data.split_source = f"column {split_column!r}" if split_column else (
        f"drawn with seed {seed}: dev {dev_fraction:g}, test {test_fraction:g}")
    for split in ("train", "dev", "test"):
        chosen = np.flatnonzero(part == split)
        data.splits[split] = LabelledSplit([texts_kept[i] for i in chosen], targets[chosen])
    if not len(data.splits["train"].texts):
        raise InputDecodeError(f"{name}: no training rows")
    return data


def _assign_splits(frame, keep, split_column, name, dev_fraction, test_fraction, seed,
                   require_splits) -> np.ndarray:
    n = int(keep.sum())
    rng = np.random.default_rng(seed)
    if split_column:
        _need_columns(frame, [split_column], name, "split")
        values = [_cell(v).lower() for v in frame[split_column].tolist()]
        part = []
        for i, (value, k) in enumerate(zip(values, keep)):
            if value not in SPLIT_NAMES:
                raise InputDecodeError(f"{name}: row {i + 1}: split {value!r} is not one of "
                                       f"train, dev (validation), test")
            if k:
                part.append(SPLIT_NAMES[value])
        part = np.array(part, dtype=object)
        if require_splits and not (part == "dev").any():  # thresholds need a dev part
            train = np.flatnonzero(part == "train")
            part[rng.permutation(train)[:max(1, int(round(dev_fraction * len(train))))]] = "dev"
        return part
    part = np.full(n, "train", dtype=object)
    order = rng.permutation(n)
    n_test = int(round(test_fraction * n))
    n_dev = max(1, int(round(dev_fraction * n))) if require_splits else int(round(dev_fraction * n))
    part[order[:n_test]] = "test"
    part[order[n_test:n_test + n_dev]] = "dev"
    return part
