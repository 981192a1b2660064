"""Errors that emoscope reports to users, each with a documented process exit code.

The CLI prints ``error: <message>`` on one line and exits with :attr:`EmoscopeError.exit_code`;
Python callers catch the subclasses.  The exit codes are listed in the README.
"""

from __future__ import annotations


class EmoscopeError(Exception):
    """Base class of every error emoscope raises on purpose."""

    exit_code = 1


class InputNotFoundError(EmoscopeError, FileNotFoundError):
    exit_code = 3


class UnsupportedFormatError(EmoscopeError, ValueError):
    exit_code = 4


class UnknownColumnError(EmoscopeError, KeyError):
    exit_code = 5

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class InputDecodeError(EmoscopeError, ValueError):
    """The input cannot be read as text or parsed in its format (names file and line)."""

    exit_code = 6


class ModelLoadError(EmoscopeError, OSError):
    exit_code = 7


class TaxonomyError(EmoscopeError, ValueError):
    exit_code = 8


class ResumeError(EmoscopeError):
    """An unfinished batch job is in the way, or cannot be resumed with these inputs."""

    exit_code = 10


EXIT_CODES = {
    0: "success",
    1: "unexpected error",
    2: "invalid command-line usage",
    InputNotFoundError.exit_code: "input file not found",
    UnsupportedFormatError.exit_code: "unsupported file format",
    UnknownColumnError.exit_code: "unknown column",
    InputDecodeError.exit_code: "input cannot be decoded or parsed (the message names the line)",
    ModelLoadError.exit_code: "model directory missing or incomplete",
    TaxonomyError.exit_code: "invalid taxonomy or label mapping",
    9: "an optional extra (train, serve, report, spark) is not installed",
    ResumeError.exit_code: "an unfinished job is in the way, or --resume does not match it",
    130: "interrupted (a batch job can be continued with --resume)",
}
