"""The one parser of input tables: CSV, TSV, JSON Lines, Parquet and plain text.

:func:`iter_chunks` reads a file (or standard input) as DataFrames of at most ``chunk_rows``
rows, so memory stays bounded by one chunk whatever the size of the input; :func:`read_table`
is the same reader joined into one frame.  Errors name the file and, where the format has
lines, the line and column.
"""

from __future__ import annotations

import json
import sys
from typing import IO, TYPE_CHECKING, Iterator, Optional

from ..errors import InputDecodeError
from .tables import INPUT_FORMATS, TEXT_COLUMN_OF_TXT, check_input_file, detect_format

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def parse_jsonl_line(line: str, name: str, lineno: int) -> dict:
    """One JSON Lines record; errors name file, line and column."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputDecodeError(f"{name}:{lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    if not isinstance(record, dict):
        raise InputDecodeError(f"{name}:{lineno}: expected a JSON object, got {type(record).__name__}")
    return record


def _open_binary(path: str) -> IO[bytes]:
    check_input_file(path)
    return sys.stdin.buffer if path == "-" else open(path, "rb")


UTF8_HINT = "re-encode the file as UTF-8, or name its encoding, e.g. --encoding cp1252 for Excel's"


def check_encoding(encoding: str) -> str:
    """The codec's canonical name; a usage error for an unknown one."""
    import codecs

    try:
        return codecs.lookup(encoding).name
    except LookupError:
        from ..errors import UsageError

        raise UsageError(f"unknown encoding {encoding!r} (e.g. utf-8, cp1252, latin-1, utf-16)") from None


def _decode_line(raw: bytes, name: str, lineno: int, encoding: str = "utf-8") -> str:
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        hint = UTF8_HINT if encoding == "utf-8" else "is --encoding right?"
        raise InputDecodeError(
            f"{name}:{lineno}:{exc.start + 1}: bytes {raw[exc.start:exc.end]!r} are not valid "
            f"{'UTF-8' if encoding == 'utf-8' else encoding} ({hint})") from None
    if lineno == 1 and text.startswith("\ufeff"):
        text = text[1:]
    return text.rstrip("\r\n")


def _locate_bad_utf8(path: str, name: str) -> InputDecodeError:
    """The error for the first undecodable byte of a file (called once decoding has failed).

    Line by line is exact: no UTF-8 sequence contains the newline byte."""
    try:
        with open(path, "rb") as handle:
            for lineno, raw in enumerate(handle, start=1):
                _decode_line(raw, name, lineno)
    except InputDecodeError as exc:
        return exc
    return InputDecodeError(f"{name}: not valid UTF-8 ({UTF8_HINT})")


def read_table(path: str, fmt: Optional[str] = None, encoding: str = "utf-8") -> "pd.DataFrame":
    """Read a whole input table; every column is kept (CSV and TSV cells as strings)."""
    import pandas as pd

    chunks = list(iter_chunks(path, fmt, chunk_rows=1 << 20, keep_empty=True, encoding=encoding))
    if len(chunks) == 1:
        return chunks[0]
    return pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()


def iter_chunks(path: str, fmt: Optional[str] = None, chunk_rows: int = 1000,
                skip_rows: int = 0, keep_empty: bool = False, encoding: str = "utf-8") -> Iterator["pd.DataFrame"]:
    """Yield the rows of a CSV, TSV, JSONL, Parquet or TXT file in order, ``chunk_rows`` at a
    time, after skipping the first ``skip_rows`` rows (which are still read, not analysed).
    With ``keep_empty`` a table without rows still yields one empty frame with its columns.
    Text formats are decoded with ``encoding`` (UTF-8 by default; a leading BOM is dropped)."""
    fmt = detect_format(path, fmt, INPUT_FORMATS, "input")
    name = "<stdin>" if path == "-" else path
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    if fmt == "parquet":
        chunks = _parquet_chunks(path, name, chunk_rows, keep_empty)
    elif fmt in ("csv", "tsv"):
        chunks = _csv_chunks(path, name, fmt, chunk_rows, keep_empty, encoding)
    else:
        chunks = _line_chunks(path, name, fmt, chunk_rows, keep_empty, encoding)
    for chunk in chunks:
        if skip_rows and skip_rows >= len(chunk):
            skip_rows -= len(chunk)
            continue
        if skip_rows:
            chunk = chunk.iloc[skip_rows:].reset_index(drop=True)
            skip_rows = 0
        yield chunk


def _line_chunks(path: str, name: str, fmt: str, chunk_rows: int,
                 keep_empty: bool, encoding: str = "utf-8") -> Iterator["pd.DataFrame"]:
    handle = _open_binary(path)
    rows: list = []
    yielded = False
    try:
        for lineno, raw in enumerate(handle, start=1):
            line = _decode_line(raw, name, lineno, encoding)
            if fmt == "txt":
                rows.append(line)
            else:
                if not line.strip():
                    continue
                rows.append(parse_jsonl_line(line, name, lineno))
            if len(rows) == chunk_rows:
                yield _frame(rows, fmt)
                rows, yielded = [], True
        if rows or (keep_empty and not yielded):
            yield _frame(rows, fmt)
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()


def _frame(rows: list, fmt: str) -> "pd.DataFrame":
    import pandas as pd

    if fmt == "txt":
        return pd.DataFrame({TEXT_COLUMN_OF_TXT: rows})
    return pd.DataFrame.from_records(rows)


def _csv_chunks(path: str, name: str, fmt: str, chunk_rows: int,
                keep_empty: bool, encoding: str = "utf-8") -> Iterator["pd.DataFrame"]:
    import pandas as pd

    handle = _open_binary(path)
    try:
        reader = pd.read_csv(handle, sep="\t" if fmt == "tsv" else ",", dtype=str,
                             keep_default_na=False, chunksize=chunk_rows,
                             encoding="utf-8-sig" if check_encoding(encoding) == "utf-8" else encoding)
        with reader:  # a header without rows gives one empty chunk with its columns
            while True:
                try:
                    chunk = next(reader)
                except StopIteration:
                    return
                yield chunk.reset_index(drop=True)
    except pd.errors.EmptyDataError:
        if keep_empty:
            yield pd.DataFrame()
        return
    except UnicodeDecodeError as exc:
        if check_encoding(encoding) != "utf-8":
            raise InputDecodeError(f"{name}: not valid {encoding} ({exc.reason}; is --encoding right?)") from None
        raise (_locate_bad_utf8(path, name) if path != "-" else
               InputDecodeError(f"{name}: not valid UTF-8 ({UTF8_HINT})")) from None
    except pd.errors.ParserError as exc:
        raise InputDecodeError(f"{name}: cannot parse as {fmt.upper()}: {exc}") from None
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()


def _parquet_chunks(path: str, name: str, chunk_rows: int,
                    keep_empty: bool) -> Iterator["pd.DataFrame"]:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    check_input_file(path)
    source = io.BytesIO(sys.stdin.buffer.read()) if path == "-" else path
    try:
        parquet = pq.ParquetFile(source)
        yielded = False
        for batch in parquet.iter_batches(batch_size=chunk_rows):
            yielded = True
            yield pa.Table.from_batches([batch]).to_pandas()
        if keep_empty and not yielded:
            yield parquet.schema_arrow.empty_table().to_pandas()
    except (pa.ArrowException, OSError) as exc:
        raise InputDecodeError(f"{name}: not a readable Parquet file: {exc}") from None


def count_rows(path: str, fmt: Optional[str] = None) -> Optional[int]:
    """The number of rows when it is cheap to know, else None: Parquet from its metadata; text
    formats by one pass over the bytes counting line ends (for CSV and TSV only those outside
    quoted cells; JSONL counts blank lines too, so it may be a little high)."""
    fmt = detect_format(path, fmt, INPUT_FORMATS, "input")
    if path == "-":
        return None
    if fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            return pq.ParquetFile(path).metadata.num_rows
        except Exception:  # reported properly when the rows are read
            return None
    try:
        lines = _count_lines(path, quoted_cells=fmt in ("csv", "tsv"))
    except OSError:
        return None
    return max(lines - (1 if fmt in ("csv", "tsv") else 0), 0)


def _count_lines(path: str, quoted_cells: bool, block_bytes: int = 1 << 22) -> int:
    import numpy as np

    lines, inside_quotes, last = 0, False, b"\n"
    with open(path, "rb") as handle:
        while block := handle.read(block_bytes):
            last = block[-1:]
            if not quoted_cells or (b'"' not in block and not inside_quotes):
                lines += block.count(b"\n")
                continue
            data = np.frombuffer(block, dtype=np.uint8)
            inside = (np.cumsum(data == ord('"')) + inside_quotes) % 2 == 1
            lines += int(np.count_nonzero((data == ord("\n")) & ~inside))
            inside_quotes = bool(inside[-1])
    return lines + (last != b"\n")
