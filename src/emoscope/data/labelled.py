"""Labelled texts: the one type every dataset reader returns, and the reader of a user's table.

:class:`LabelledTexts` is a set of texts with their targets (labels or values) and, where the
data has them, ids, speakers and dialogues; :class:`LabelledDataset` holds a dataset's splits.
Readers for the datasets emoscope trains and evaluates on sit beside this module
(:mod:`.goemotions`, :mod:`.meld`, :mod:`.semeval`, :mod:`.emobank`).

A user's table (``emoscope train custom``, ``evaluate --dataset table``) gives its answers in
one of three ways, a :class:`LabelSpec`:

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

from dataclasses import dataclass, field, replace
from typing import Iterator, Optional, Sequence

import numpy as np

from ..errors import InputDecodeError, UnknownColumnError, UsageError
from ..io.readers import read_table
from ..persistence import Task

MULTI_LABEL, SINGLE_LABEL, REGRESSION = Task.MULTI_LABEL, Task.SINGLE_LABEL, Task.REGRESSION
NOT_ANNOTATED = -1  # a target a text was not annotated for (e.g. an emotion its language lacks)

SPLIT_NAMES = {"train": "train", "dev": "dev", "validation": "dev", "valid": "dev", "val": "dev",
               "test": "test"}
TRUE_VALUES = {"1", "1.0", "true", "yes"}
FALSE_VALUES = {"0", "0.0", "false", "no", ""}


@dataclass
class LabelledTexts:
    """Texts with their targets, rows aligned.

    ``targets`` is (n, len(labels)): 0/1 for multi-label (``NOT_ANNOTATED`` where a text was not
    annotated for a label), one-hot rows for single-label, values for regression.  ``speakers``
    and ``dialogues`` (a dialogue id per row, rows of a dialogue contiguous and in turn order) are
    set for dialogue data."""

    texts: list[str]
    targets: np.ndarray
    labels: list[str]
    task: Task = MULTI_LABEL
    ids: Optional[list[str]] = None
    speakers: Optional[list[str]] = None
    dialogues: Optional[list[str]] = None
    language: Optional[str] = None

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, rows) -> "LabelledTexts":
        """The rows ``rows`` (indices or a boolean mask), in that order."""
        rows = np.flatnonzero(rows) if np.asarray(rows).dtype == bool else np.asarray(rows, dtype=int)
        pick = (lambda values: None if values is None else [values[i] for i in rows])
        return replace(self, texts=pick(self.texts), targets=self.targets[rows], ids=pick(self.ids),
                       speakers=pick(self.speakers), dialogues=pick(self.dialogues))

    def head(self, n: Optional[int]) -> "LabelledTexts":
        """The first ``n`` rows (all for ``None``); for dialogue data, the first ``n`` dialogues."""
        if n is None:
            return self
        if self.dialogues is not None:
            first = list(dict.fromkeys(self.dialogues))[:n]
            return self.subset(np.isin(np.asarray(self.dialogues, dtype=object), first))
        return self.subset(np.arange(min(n, len(self))))

    @property
    def gold(self) -> np.ndarray:
        """Single-label data: the label index of each row."""
        return self.targets.argmax(axis=1)

    @property
    def annotated_labels(self) -> list[str]:
        """The labels every row is annotated for."""
        return [self.labels[j] for j in annotated_columns(self.targets)]

    def dialogue_turns(self) -> Iterator[tuple[list[str], list[str]]]:
        """(speakers, texts) of each dialogue in order (dialogue data only)."""
        if self.dialogues is None or self.speakers is None:
            raise ValueError("not dialogue data: no speakers and dialogues")
        start = 0
        for end in range(1, len(self) + 1):
            if end == len(self) or self.dialogues[end] != self.dialogues[start]:
                yield self.speakers[start:end], self.texts[start:end]
                start = end


def annotated_columns(targets: np.ndarray) -> list[int]:
    """Columns that every row is annotated for (no ``NOT_ANNOTATED``)."""
    return [j for j in range(targets.shape[1]) if (targets[:, j] != NOT_ANNOTATED).all()]


@dataclass
class LabelledDataset:
    """A dataset's splits (``train``, ``dev``, ``test``) and how they were made."""

    task: Task
    labels: list[str]
    splits: dict[str, LabelledTexts] = field(default_factory=dict)
    dropped_empty: int = 0
    split_source: str = ""


@dataclass(frozen=True)
class LabelSpec:
    """Where a user's table keeps its answers: exactly one of ``label_columns`` (multi-label, one
    0/1 column per label), ``label_column`` (one label per row, or with ``label_delimiter`` a
    delimited list per row) or ``target_columns`` (regression)."""

    text_column: str = "text"
    label_columns: Optional[tuple[str, ...]] = None
    label_column: Optional[str] = None
    label_delimiter: Optional[str] = None
    target_columns: Optional[tuple[str, ...]] = None

    def __post_init__(self):
        modes = [m for m in (self.label_columns, self.label_column, self.target_columns) if m]
        if len(modes) != 1:
            raise UsageError("give exactly one of --label-columns, --label-column or --target-columns")
        if self.label_delimiter and not self.label_column:
            raise UsageError("--label-delimiter goes with --label-column")

    @classmethod
    def for_model(cls, task: Task, labels: Sequence[str], text_column: str = "text",
                  label_column: Optional[str] = None) -> "LabelSpec":
        """How a table must give the answers of a model with this task and these labels."""
        if task == SINGLE_LABEL:
            if not label_column:
                raise UsageError("a single-label model needs --label-column")
            return cls(text_column, label_column=label_column)
        if task == REGRESSION:
            return cls(text_column, target_columns=tuple(labels))
        return cls(text_column, label_columns=tuple(labels))


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def _need_columns(frame, columns: Sequence[str], name: str, role: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise UnknownColumnError(f"{name}: no {role} column {', '.join(map(repr, missing))}; "
                                 f"columns are: {', '.join(map(str, frame.columns)) or '(none)'}")


def read_labelled(path: str, spec: LabelSpec, *, split_column: Optional[str] = None,
                  dev_fraction: float = 0.1, test_fraction: float = 0.1, seed: int = 42) -> LabelledDataset:
    """Read and check a labelled table for training: its rows split into train, dev and test
    (by ``split_column`` or drawn with ``seed``); every label must have both classes."""
    frame, task, labels, texts, targets, keep = _parse_table(path, spec)
    name = path
    if task == SINGLE_LABEL and len(labels) < 2:
        raise InputDecodeError(f"{name}: label column {spec.label_column!r} has only one class "
                               f"({labels[0]!r}); a classifier needs at least two")
    for j, label in enumerate(labels if task != SINGLE_LABEL else ()):
        column = targets[keep, j]
        if column.min() == column.max():
            raise InputDecodeError(
                f"{name}: label {label!r} has only one class (every row is {int(column[0])}); drop it "
                f"or add examples of both" if task == MULTI_LABEL else
                f"{name}: target {label!r} has the same value in every row")
    part = _assign_splits(frame, keep, split_column, name, dev_fraction, test_fraction, seed)
    data = LabelledDataset(task, labels, dropped_empty=int((~keep).sum()),
                           split_source=f"column {split_column!r}" if split_column else
                           f"drawn with seed {seed}: dev {dev_fraction:g}, test {test_fraction:g}")
    kept = LabelledTexts([t for t, k in zip(texts, keep) if k], targets[keep], labels, task)
    for split in ("train", "dev", "test"):
        data.splits[split] = kept.subset(np.flatnonzero(part == split))
    if not len(data.splits["train"]):
        raise InputDecodeError(f"{name}: no training rows")
    return data


def read_labelled_texts(path: str, spec: LabelSpec, *, known_labels: Optional[Sequence[str]] = None
                        ) -> LabelledTexts:
    """Every row of a labelled table with text (held-out data: no splits, single classes
    allowed); ``known_labels`` (a trained model's) fixes the label order."""
    _, task, labels, texts, targets, keep = _parse_table(path, spec, known_labels)
    return LabelledTexts([t for t, k in zip(texts, keep) if k], targets[keep], labels, task)


def _parse_table(path: str, spec: LabelSpec, known_labels: Optional[Sequence[str]] = None):
    """(frame, task, labels, texts, targets, rows with text) of a labelled table."""
    frame = read_table(path)
    name = path
    if frame.shape[0] == 0:
        raise InputDecodeError(f"{name}: the file has no rows")
    _need_columns(frame, [spec.text_column], name, "text")
    texts = [_cell(v) for v in frame[spec.text_column].tolist()]
    keep = np.array([bool(t) for t in texts])
    if not keep.any():
        raise InputDecodeError(f"{name}: text column {spec.text_column!r} has no text in any row")

    if spec.label_columns:
        _need_columns(frame, spec.label_columns, name, "label")
        task, labels = MULTI_LABEL, list(spec.label_columns)
        targets = np.zeros((len(texts), len(labels)), dtype=np.float32)
        for j, column in enumerate(labels):
            for i, value in enumerate(frame[column].tolist()):
                cell = _cell(value).lower()
                if cell in TRUE_VALUES:
                    targets[i, j] = 1.0
                elif cell not in FALSE_VALUES:
                    raise InputDecodeError(f"{name}: row {i + 1}: label column {column!r} holds "
                                           f"{_cell(value)!r}; expected 0 or 1")
    elif spec.label_column:
        _need_columns(frame, [spec.label_column], name, "label")
        cells = [_cell(v) for v in frame[spec.label_column].tolist()]
        if spec.label_delimiter:
            per_row = [[p.strip() for p in c.split(spec.label_delimiter) if p.strip()] for c in cells]
            task = MULTI_LABEL
        else:
            per_row = [[c] if c else [] for c in cells]
            task = SINGLE_LABEL
        missing = [i for i, (k, p) in enumerate(zip(keep, per_row)) if k and not p]
        if missing and task == SINGLE_LABEL:
            raise InputDecodeError(f"{name}: row {missing[0] + 1}: no label in column {spec.label_column!r}")
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
        _need_columns(frame, spec.target_columns, name, "target")
        task, labels = REGRESSION, list(spec.target_columns)
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
    return frame, task, labels, texts, targets, keep


def _assign_splits(frame, keep, split_column, name, dev_fraction, test_fraction, seed) -> np.ndarray:
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
        if not (part == "dev").any():  # thresholds need a dev part
            train = np.flatnonzero(part == "train")
            part[rng.permutation(train)[:max(1, int(round(dev_fraction * len(train))))]] = "dev"
        return part
    part = np.full(n, "train", dtype=object)
    order = rng.permutation(n)
    n_test = int(round(test_fraction * n))
    n_dev = max(1, int(round(dev_fraction * n)))
    part[order[:n_test]] = "test"
    part[order[n_test:n_test + n_dev]] = "dev"
    return part
