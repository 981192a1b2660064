"""Streaming, resumable annotation of a large table.

The input is read ``chunk_rows`` rows at a time; each annotated chunk is written as a part file in
``OUTPUT.parts/`` and then recorded in ``OUTPUT.parts/manifest.json`` (both by writing a temporary
file and renaming it).  When every row is done the parts are joined into ``OUTPUT`` (again through
a temporary file) and the folder is removed.  A job killed at any moment, even by SIGKILL, leaves
only whole parts that the manifest lists, plus at most one part it does not list; ``resume=True``
skips the rows of the listed parts and goes on, so every input row reaches the output once, in
input order.  Memory holds one chunk at a time.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional, Sequence

from .errors import EmoscopeError, Interrupted, ResumeError, UnsupportedFormatError
from .io.atomic import atomic_path, check_output_path
from .io.annotations import annotate_frame
from .io.readers import iter_chunks
from .io.tables import INPUT_FORMATS, OUTPUT_FORMATS, detect_format, write_rows

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
DEFAULT_CHUNK_ROWS = 1000
PART_SUFFIX = {"csv": ".csv", "jsonl": ".jsonl", "parquet": ".parquet"}


@dataclass
class BatchOptions:
    """Everything that decides the output; a resumed job must be given the same."""

    input: str
    output: str
    input_format: str
    output_format: str
    text_column: Optional[str]
    rollups: list[str]
    scores: bool
    model: str
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    encoding: str = "utf-8"
    max_chars: Optional[int] = None
    limit: Optional[int] = None  # only the first N rows of the input


def first_rows(chunks: Iterable, limit: Optional[int]) -> Iterator:
    """The chunks up to ``limit`` rows in all (the last one cut), then stop reading (all without
    a limit)."""
    left = limit
    for chunk in chunks:
        if left is not None and len(chunk) >= left:
            if left:
                yield chunk.iloc[:left]
            return
        if left is not None:
            left -= len(chunk)
        yield chunk


@dataclass
class BatchReport:
    rows: int
    resumed_rows: int
    parts: int
    seconds: float
    output: str


@dataclass
class _Manifest:
    options: dict
    input_size: int
    input_mtime_ns: int
    parts: list = field(default_factory=list)  # [{"file": ..., "rows": ...}] in input order
    columns: Optional[list] = None  # the header every CSV/Parquet part shares (from the first chunk)
    version: int = MANIFEST_VERSION

    @property
    def rows_done(self) -> int:
        return sum(p["rows"] for p in self.parts)


def parts_dir(output: str | Path) -> Path:
    output = Path(output)
    return output.with_name(output.name + ".parts")


@contextlib.contextmanager
def output_lock(output: str | Path) -> Iterator[None]:
    """Hold ``OUTPUT.lock`` while a job writes ``OUTPUT``, so that a second job on the same output
    (a rerun or ``--resume`` while the first still runs) stops at once and names the first.  The
    lock is an advisory ``flock``: the kernel releases it when its process ends, however it ends,
    so a job killed with ``kill -9`` never leaves a stale lock.  The file holds the holder's pid."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here; jobs are not guarded
        yield
        return
    output = Path(output)
    path = output.with_name(output.name + ".lock")
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise ResumeError(f"{output}: another emoscope job (pid {holder}) is writing this output; "
                              f"wait for it to finish or stop it, then rerun (with --resume to continue "
                              f"its work)") from None
        try:  # the holder may have removed the file between our open and our lock: retry then
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode("ascii"))
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
        os.close(fd)


def _write_manifest(folder: Path, manifest: _Manifest) -> None:
    with atomic_path(folder / MANIFEST) as temp:
        temp.write_text(json.dumps(asdict(manifest), indent=1), encoding="utf-8")


def _read_manifest(folder: Path) -> Optional[_Manifest]:
    path = folder / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return _Manifest(**data)
    except (json.JSONDecodeError, TypeError) as exc:
        raise ResumeError(f"{path}: unreadable manifest ({exc}); delete {folder} to start over") from None


def _start_or_resume(options: BatchOptions, resume: bool) -> tuple[Path, _Manifest]:
    folder = parts_dir(options.output)
    stat = os.stat(options.input) if options.input != "-" else None
    size, mtime = (stat.st_size, stat.st_mtime_ns) if stat else (-1, -1)
    wanted = asdict(options)
    existing = _read_manifest(folder) if folder.exists() else None
    if folder.exists() and not resume:
        done = f" ({existing.rows_done} rows done)" if existing else ""
        raise ResumeError(f"{folder}: an unfinished run of this output exists{done}; rerun with "
                          f"--resume to continue it, or delete the folder to start over")
    if existing is not None:
        defaults = {f.name: f.default for f in fields(BatchOptions)}  # options added since the run
        changed = [k for k in wanted if existing.options.get(k, defaults[k]) != wanted[k]]
        if changed:
            raise ResumeError(
                f"{folder}: cannot resume: {', '.join(changed)} differ from the unfinished run "
                f"({', '.join(f'{k}={existing.options.get(k)!r}' for k in changed)}); "
                f"delete the folder to start over")
        if (existing.input_size, existing.input_mtime_ns) != (size, mtime):
            raise ResumeError(f"{folder}: cannot resume: {options.input} changed since the unfinished "
                              f"run (size or modification time); delete the folder to start over")
        return folder, existing
    folder.mkdir(parents=True, exist_ok=True)
    manifest = _Manifest(options=wanted, input_size=size, input_mtime_ns=mtime)
    _write_manifest(folder, manifest)
    return folder, manifest


def _write_part(frame, path: Path, fmt: str, header: bool) -> None:
    with atomic_path(path) as temp:
        if fmt == "parquet":
            frame.to_parquet(temp, index=False)
        else:
            with open(temp, "w", encoding="utf-8", newline="") as handle:
                write_rows(frame, handle, fmt, header=header)


def _finalise(folder: Path, manifest: _Manifest, output: str, fmt: str) -> None:
    parts = [folder / p["file"] for p in manifest.parts]
    with atomic_path(output) as temp:
        if fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            if not parts:
                import pandas as pd

                pd.DataFrame().to_parquet(temp, index=False)
            else:
                # a column can be all-null in one part and typed in another (JSONL input)
                schema = pa.unify_schemas([pq.read_schema(p) for p in parts],
                                          promote_options="permissive")
                with pq.ParquetWriter(temp, schema) as writer:
                    for part in parts:
                        writer.write_table(pq.read_table(part).cast(schema))
        else:
            with open(temp, "wb") as out:
                for part in parts:
                    with open(part, "rb") as handle:
                        shutil.copyfileobj(handle, out, 1 << 20)
    shutil.rmtree(folder)


def annotate_file(model, options: BatchOptions, rollups: Sequence, *, resume: bool = False,
                  progress: Optional[Callable[[int], None]] = None) -> BatchReport:
    """Annotate ``options.input`` into ``options.output`` chunk by chunk (see module docstring).

    ``rollups`` are the loaded rollup specs; ``options.rollups`` their names, as recorded in the
    manifest.  ``progress`` is called with the number of rows finished so far.
    """
    start = time.perf_counter()
    if options.input == "-" and resume:
        raise ResumeError("--resume needs an input file, not standard input")
    detect_format(options.input, options.input_format, INPUT_FORMATS, "input")
    fmt = detect_format(options.output, options.output_format, OUTPUT_FORMATS, "output")
    check_output_path(options.output)
    with output_lock(options.output):
        folder, manifest = _start_or_resume(options, resume)
        try:
            return _run(model, options, rollups, fmt, folder, manifest, progress, start)
        except EmoscopeError:
            if not manifest.parts:  # bad input found before any work: leave nothing behind
                shutil.rmtree(folder, ignore_errors=True)
            raise
        except KeyboardInterrupt:
            raise Interrupted(f"interrupted with {manifest.rows_done} rows saved in {folder}; run the "
                              f"same command with --resume to continue", manifest.rows_done, folder) from None


def _run(model, options: BatchOptions, rollups: Sequence, fmt: str, folder: Path, manifest: _Manifest,
         progress: Optional[Callable[[int], None]], start: float) -> BatchReport:
    resumed = manifest.rows_done
    name = options.input
    if progress:
        progress(resumed)
    left = None if options.limit is None else max(0, options.limit - resumed)
    for chunk in first_rows(iter_chunks(options.input, options.input_format, options.chunk_rows, skip_rows=resumed,
                                        encoding=options.encoding), left):
        chunk = annotate_frame(model, chunk, options.text_column, name, rollups, options.scores,
                               max_chars=options.max_chars)
        if manifest.columns is None:
            manifest.columns = list(chunk.columns)
        columns = manifest.columns
        if fmt != "jsonl":  # CSV and Parquet parts must share one header
            extra = [c for c in chunk.columns if c not in columns]
            if extra:
                print(f"warning: {name}: columns {extra} first appear after row "
                      f"{manifest.rows_done}; they are left out of the {fmt} output", file=sys.stderr)
            chunk = chunk.reindex(columns=columns)
        index = len(manifest.parts)
        part = f"part-{index:06d}{PART_SUFFIX[fmt]}"
        _write_part(chunk, folder / part, fmt, header=index == 0)
        manifest.parts.append({"file": part, "rows": len(chunk)})
        _write_manifest(folder, manifest)
        if progress:
            progress(manifest.rows_done)
    _finalise(folder, manifest, options.output, fmt)
    return BatchReport(rows=manifest.rows_done, resumed_rows=resumed, parts=len(manifest.parts),
                       seconds=time.perf_counter() - start, output=options.output)


def stream_to_stdout(model, path: str, input_format: Optional[str], text_column: Optional[str],
                     output_format: Optional[str], rollups: Sequence, scores: bool,
                     chunk_rows: int = DEFAULT_CHUNK_ROWS, encoding: str = "utf-8",
                     max_chars: Optional[int] = None, limit: Optional[int] = None) -> int:
    """Annotate to standard output as the chunks come (CSV or JSONL); no resume; only the first
    ``limit`` rows when given."""
    fmt = detect_format("-", output_format, OUTPUT_FORMATS, "output")
    if fmt == "parquet":
        raise UnsupportedFormatError("Parquet cannot be written to standard output; give --output FILE")
    name = "<stdin>" if path == "-" else path
    rows = 0
    for chunk in first_rows(iter_chunks(path, input_format, chunk_rows, encoding=encoding), limit):
        chunk = annotate_frame(model, chunk, text_column, name, rollups, scores, max_chars=max_chars)
        write_rows(chunk, sys.stdout, fmt, header=rows == 0)
        sys.stdout.flush()
        rows += len(chunk)
    return rows
