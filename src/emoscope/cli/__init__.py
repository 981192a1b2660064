"""The ``emoscope`` command line: one module per command (group) around the shared app in
:mod:`.app`, and :func:`main`, the one place that turns errors into exit codes."""

from __future__ import annotations

import sys

from ..errors import INTERRUPTED, EmoscopeError
from . import analyze, dialogue, evaluate, labels, report, serve, train  # noqa: F401 (they register commands)
from .app import app, report_error


def main() -> None:
    try:
        app()
    except EmoscopeError as error:
        sys.exit(report_error(error))
    except KeyboardInterrupt:
        print("interrupted (an --input/--output job continues with --resume)", file=sys.stderr)
        sys.exit(INTERRUPTED)


__all__ = ["app", "main"]
