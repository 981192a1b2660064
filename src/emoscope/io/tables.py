"""Table formats and writers.

Input formats: CSV, TSV, JSON Lines, Parquet or plain text (one text per line), from a path or
``-`` (standard input), read by :mod:`emoscope.io.readers`.  Output: CSV, JSON Lines or Parquet,
written atomically.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from ..errors import InputNotFoundError, UnsupportedFormatError
from .atomic import atomic_path

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

INPUT_FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl",
                 ".parquet": "parquet", ".pq": "parquet", ".txt": "txt", ".text": "txt"}
OUTPUT_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet",
                  ".pq": "parquet"}
TEXT_COLUMN_OF_TXT = "text"


def detect_format(path: str, explicit: Optional[str], table: dict, role: str) -> str:
    names = sorted(set(table.values()))
    if explicit:
        fmt = explicit.lower().lstrip(".")
        if fmt not in names:
            raise UnsupportedFormatError(f"unsupported {role} format {explicit!r}; supported: {', '.join(names)}")
        return fmt
    if path == "-":
        return "txt" if role == "input" else "jsonl"
    suffix = Path(path).suffix.lower()
    if suffix not in table:
        raise UnsupportedFormatError(
            f"{path}: unsupported {role} format {suffix or '(no extension)'!r}; supported: "
            f"{', '.join(sorted(table))} (or pass --{role}-format)")
    return table[suffix]


def check_input_file(path: str) -> None:
    """Raise :class:`InputNotFoundError` unless ``path`` is ``-`` or an existing file."""
    if path == "-":
        return
    p = Path(path)
    if not p.exists():
        raise InputNotFoundError(f"{path}: no such file")
    if p.is_dir():
        raise InputNotFoundError(f"{path}: is a folder, not a file")


def write_table(frame: "pd.DataFrame", path: str, fmt: Optional[str] = None) -> None:
    """Write CSV, JSON Lines or Parquet; to a file atomically, or to stdout for ``-``."""
    fmt = detect_format(path, fmt, OUTPUT_FORMATS, "output")
    if path == "-":
        if fmt == "parquet":
            raise UnsupportedFormatError("Parquet cannot be written to standard output; give --output FILE")
        write_rows(frame, sys.stdout, fmt)
        return
    with atomic_path(path) as temp:
        if fmt == "parquet":
            frame.to_parquet(temp, index=False)
        else:
            with open(temp, "w", encoding="utf-8", newline="") as handle:
                write_rows(frame, handle, fmt)


def write_rows(frame: "pd.DataFrame", handle, fmt: str, header: bool = True) -> None:
    """Write a frame's rows as CSV (with or without the header line) or JSON Lines to a handle."""
    if fmt == "csv":
        frame.to_csv(handle, index=False, header=header)
    else:
        for record in frame.to_dict(orient="records"):
            handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
