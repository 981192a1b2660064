"""Readers and writers of the tables that ``emoscope analyze`` annotates.

Input: CSV, TSV, JSON Lines, Parquet or plain text (one text per line), from a path or ``-``
(standard input).  Output: CSV, JSON Lines or Parquet, written atomically.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence

from ..errors import InputDecodeError, InputNotFoundError, UnknownColumnError, UnsupportedFormatError
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


def _read_bytes(path: str) -> bytes:
    check_input_file(path)
    return sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()


def parse_jsonl_line(line: str, name: str, lineno: int) -> dict:
    """One JSON Lines record; errors name file, line and column."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputDecodeError(f"{name}:{lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    if not isinstance(record, dict):
        raise InputDecodeError(f"{name}:{lineno}: expected a JSON object, got {type(record).__name__}")
    return record


def _decode(data: bytes, name: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputDecodeError(
            f"{name}:{line}:{column}: bytes {data[exc.start:exc.end]!r} are not valid UTF-8 "
            f"(re-encode the file as UTF-8)") from None
    return text[1:] if text.startswith("\ufeff") else text


def read_table(path: str, fmt: Optional[str] = None) -> "pd.DataFrame":
    """Read a whole input table; every column is kept."""
    import pandas as pd

    fmt = detect_format(path, fmt, INPUT_FORMATS, "input")
    name = "<stdin>" if path == "-" else path
    data = _read_bytes(path)
    if fmt == "parquet":
        try:
            return pd.read_parquet(io.BytesIO(data))
        except Exception as exc:  # pyarrow raises several types for corrupt files
            raise InputDecodeError(f"{name}: not a readable Parquet file: {exc}") from None
    text = _decode(data, name)
    if fmt == "txt":
        lines = text.splitlines()
        return pd.DataFrame({TEXT_COLUMN_OF_TXT: lines})
    if fmt == "jsonl":
        records = []
        for lineno, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                records.append(parse_jsonl_line(line, name, lineno))
        return pd.DataFrame.from_records(records)
    try:
        return pd.read_csv(io.StringIO(text), sep="\t" if fmt == "tsv" else ",", dtype=str,
                           keep_default_na=False)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except pd.errors.ParserError as exc:
        raise InputDecodeError(f"{name}: cannot parse as {fmt.upper()}: {exc}") from None


def text_column_values(frame: "pd.DataFrame", column: Optional[str], name: str) -> list[str]:
    if column is None:
        if TEXT_COLUMN_OF_TXT in frame.columns:
            column = TEXT_COLUMN_OF_TXT
        else:
            raise UnknownColumnError(
                f"{name}: say which column holds the text with --text-column; columns are: "
                f"{', '.join(map(str, frame.columns)) or '(none)'}")
    if column not in frame.columns:
        raise UnknownColumnError(
            f"{name}: no column {column!r}; columns are: {', '.join(map(str, frame.columns)) or '(none)'}")
    return ["" if v is None or (isinstance(v, float) and v != v) else str(v)
            for v in frame[column].tolist()]


def annotation_columns(results, rollups: Sequence = ("ekman", "sentiment"), scores: bool = True,
                       prefix: str = "") -> dict[str, list]:
    """The columns ``analyze`` adds for a list of :class:`~emoscope.model.EmotionResult`."""
    columns: dict[str, list] = {
        f"{prefix}emotions": [";".join(r.labels) for r in results],
        f"{prefix}top_emotion": [r.top(1)[0][0] if r.scores else "" for r in results],
        f"{prefix}top_score": [round(r.top(1)[0][1], 6) if r.scores else 0.0 for r in results],
    }
    for spec in rollups:
        rolled = [r.rollup(spec) for r in results]
        name = rolled[0].name if rolled else str(spec)
        columns[f"{prefix}{name}"] = [";".join(x.labels) for x in rolled]
    columns[f"{prefix}empty_text"] = [r.empty for r in results]
    if results and results[0].vad is not None:  # a model with heads: VAD 1-5, intensity 0-3
        for name in ("valence", "arousal", "dominance"):
            columns[f"{prefix}{name}"] = [round(getattr(r.vad, name), 4) for r in results]
    if results and results[0].intensity:
        for emotion in results[0].intensity:
            columns[f"{prefix}intensity_{emotion}"] = [round(r.intensity[emotion], 4) for r in results]
    if results and results[0].values:  # a regression model
        for name in results[0].values:
            columns[f"{prefix}value_{name}"] = [round(r.values[name], 6) for r in results]
    if scores and results:
        for label in results[0].scores:
            columns[f"{prefix}score_{label}"] = [round(r.scores[label], 6) for r in results]
    return columns


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
