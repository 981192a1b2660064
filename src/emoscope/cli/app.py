"""The shared Typer app of the ``emoscope`` command, its common options and its one error handler.

Every command module registers on :data:`app` (or :data:`train_app`).  Commands raise
:class:`~emoscope.errors.EmoscopeError` subclasses and never exit by themselves:
:func:`emoscope.cli.main` prints ``error: <message>`` on one line (:func:`report_error`) and
exits with the class's code from the single table in :mod:`emoscope.errors`, which ``--help``
also prints.
"""

from __future__ import annotations

import importlib
import importlib.util
import shlex
import sys
from pathlib import Path
from typing import Optional

import typer

from ..errors import EXIT_CODES, EmoscopeError, MissingExtraError

EXIT_HELP = "Exit codes: " + "; ".join(f"{code} {summary}" for code, summary in EXIT_CODES.items()) + "."
app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode="rich",
                  help="Fine-grained emotion recognition for text, offline.", epilog=EXIT_HELP)
train_app = typer.Typer(no_args_is_help=True, help="Train models (needs the train extra: pip install '.\\[train]').")
app.add_typer(train_app, name="train")

TRAIN_EXTRA_MODULES = ("torch", "transformers", "sklearn", "onnx")

ModelOption = typer.Option(None, "--model", "-m", help="Model name or directory (default: the shipped model).")
ThreadsOption = typer.Option(None, "--threads", help="Threads (default: all cores).")
RollupOption = typer.Option(None, "--rollup", "-r",
                            help="Rollup to report: ekman, sentiment, or a JSON/YAML mapping file. Repeatable; "
                                 "default: ekman and sentiment (for models with the GoEmotions labels).")
JsonOption = typer.Option(False, "--json", help="Print JSON instead of tables.")


def console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def progress(message: str) -> None:
    typer.echo(message, err=True)


def command_line() -> str:
    """The command as typed, recorded in model cards."""
    return "emoscope " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def require_extra(what: str, extra: str, modules: tuple[str, ...]) -> None:
    """Raise :class:`MissingExtraError` (exit 9) before any work when a module is missing."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise MissingExtraError(what, extra, f"no module named {missing[0]!r}")


def recipe(module: str):
    """The ``emoscope.train.<module>`` recipe; exit 9 without the train extra."""
    require_extra("training", "train", TRAIN_EXTRA_MODULES)
    try:
        return importlib.import_module(f"{__package__.rsplit('.', 1)[0]}.train.{module}")
    except ImportError as exc:
        raise MissingExtraError("training", "train", exc) from None


def column_list(value: Optional[str]) -> Optional[tuple[str, ...]]:
    return tuple(c.strip() for c in value.split(",") if c.strip()) if value else None


def print_sections(sections) -> None:
    """Evaluation sections (:class:`~emoscope.card.CardSection`) as rich tables and lines."""
    from rich.markup import escape
    from rich.measure import Measurement
    from rich.table import Table

    out = console()
    for section in sections:
        for table in section.tables:
            shown = Table(title=table.title or section.title, title_justify="left")
            for i, column in enumerate(table.columns):
                shown.add_column(str(column), justify="left" if i == 0 else "right")
            for row in table.rows:
                shown.add_row(*(f"{c:.4f}" if isinstance(c, float) else escape(str(c)) for c in row))
            if not out.is_terminal:  # a file or a pipe (80 columns for rich): every number in full, never "0.4…"
                out.width = max(out.width, Measurement.get(out, out.options.update_width(1000), shown).maximum)
            out.print(shown)
        out.print(f"[bold]{escape(section.title)}[/]")
        for line in section.lines:
            out.print(escape(line).replace("**", ""))


def write_json_report(payload: dict, report: Optional[Path], as_json: bool) -> bool:
    """Write the JSON report file (atomically) if asked; print JSON and return True for --json."""
    import json

    from ..io.atomic import atomic_path

    if report is not None:
        with atomic_path(report) as temp:
            temp.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(payload, indent=2))
    elif report is not None:
        console(stderr=True).print(f"wrote the report to {report}")
    return as_json


def _version(value: bool) -> None:
    if value:
        from ..version import __version__

        typer.echo(f"emoscope {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Show the version and exit.")) -> None:
    """Fine-grained emotion recognition for text, offline."""


def report_error(error: EmoscopeError) -> int:
    """Print an error on one line and return its exit code."""
    return report_line(str(error), error.exit_code)


def report_line(message: str, code: int) -> int:
    """Print ``error: message`` as one line at any terminal width (line breaks in the message
    become spaces; the text is written as is, so nothing wraps it) and return ``code``."""
    flat = " ".join(message.split())
    prefix = "\x1b[1;31merror:\x1b[0m" if sys.stderr.isatty() else "error:"
    sys.stderr.write(f"{prefix} {flat}\n")
    sys.stderr.flush()
    return code
