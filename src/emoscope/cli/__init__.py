"""The ``emoscope`` command line: one module per command (group) around the shared app in
:mod:`.app`, and :func:`main`, the one place that turns errors into exit codes."""

from __future__ import annotations

import os
import sys

from ..errors import INTERRUPTED, EmoscopeError
from . import analyze, dialogue, evaluate, faces, labels, report, serve, speech, train  # noqa: F401 (they register commands)
from .app import app, report_error, report_line

DEBUG_ENV = "EMOSCOPE_DEBUG"


def command():
    """The Click command of :data:`app`, with plain flags shown without a ``<bool>`` type in
    ``--help`` (Typer prints one for every option)."""
    import typer

    root = typer.main.get_command(app)
    stack = [root]
    while stack:
        current = stack.pop()
        for param in current.params:
            if getattr(param, "is_flag", False):
                param.metavar = ""
        current.get_help_option = _untyped_help_option(current.get_help_option)
        stack.extend(getattr(current, "commands", {}).values())
    return root


def _untyped_help_option(make):
    def get_help_option(ctx):
        option = make(ctx)
        if option is not None:
            option.metavar = ""
        return option

    return get_help_option


def main() -> None:
    """Run the command line; every failure ends as one ``error:`` line and a documented exit code
    (Click's usage errors with 2, Ctrl-C with 130, anything unforeseen with 1; set
    ``EMOSCOPE_DEBUG=1`` to see the traceback of the last)."""
    try:
        code = command().main(prog_name="emoscope", standalone_mode=False)
    except EmoscopeError as error:
        sys.exit(report_error(error))
    except KeyboardInterrupt:
        sys.exit(report_line("interrupted", INTERRUPTED))
    except Exception as error:
        if type(error).__name__ == "NoArgsIsHelpError":  # a bare group: the help was printed
            sys.exit(error.exit_code)
        sys.exit(report_line(*_click_error(error)))
    sys.exit(code or 0)


def _click_error(error: Exception) -> tuple[str, int]:
    """Message and exit code of an error raised by (Typer's copy of) Click: usage errors exit 2,
    Ctrl-C during a prompt 130; anything else is a defect (exit 1; ``EMOSCOPE_DEBUG=1`` shows the
    traceback)."""
    if type(error).__name__ == "Abort":
        return "interrupted", INTERRUPTED
    if hasattr(error, "format_message") and isinstance(getattr(error, "exit_code", None), int):
        context = getattr(error, "ctx", None)
        hint = f" (see {context.command_path} --help)" if context is not None else ""
        return error.format_message() + hint, error.exit_code
    if os.environ.get(DEBUG_ENV):
        raise error
    return (f"unexpected {type(error).__name__}: {error} (set {DEBUG_ENV}=1 to see the traceback, "
            f"and please report it)", 1)


__all__ = ["app", "command", "main"]
