"""Errors that emoscope reports to users, each with its process exit code and HTTP error code.

This module holds the one table of exit codes: :data:`EXIT_CODES` is built from the error classes
below, the CLI maps every :class:`EmoscopeError` to its class's ``exit_code`` in one handler, and
``emoscope --help``, ``docs/cli.md`` and the HTTP API's error codes all come from (or are tested
against) these classes.  Python callers catch the subclasses.
"""

from __future__ import annotations

import re


class EmoscopeError(Exception):
    """Base class of every error emoscope raises on purpose."""

    exit_code = 1
    summary = "unexpected error"

    @classmethod
    def code(cls) -> str:
        """The snake_case name of the error, as the HTTP API reports it (``taxonomy_error``)."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


class UsageError(EmoscopeError, ValueError):
    exit_code = 2
    summary = "invalid command-line usage (options that do not fit together)"


class InputNotFoundError(EmoscopeError, FileNotFoundError):
    exit_code = 3
    summary = "input file not found"


class UnsupportedFormatError(EmoscopeError, ValueError):
    exit_code = 4
    summary = "unsupported file format"


class UnknownColumnError(EmoscopeError, KeyError):
    exit_code = 5
    summary = "unknown column"

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class InputDecodeError(EmoscopeError, ValueError):
    """The input cannot be read as text or parsed in its format (names file and line)."""

    exit_code = 6
    summary = "input cannot be decoded or parsed (the message names the line)"


class ModelLoadError(EmoscopeError, OSError):
    exit_code = 7
    summary = "model directory missing or incomplete"


class UnknownLanguageWarning(UserWarning):
    """A language a multilingual model has no thresholds (or TF-IDF head) for: the model decides
    with its shared thresholds and its encoder alone (``EmotionModel.for_language``)."""


class TaxonomyError(EmoscopeError, ValueError):
    exit_code = 8
    summary = "invalid taxonomy or label mapping"


class MissingExtraError(EmoscopeError, ImportError):
    """An optional part of emoscope (``train``, ``serve``, ``report``, ``spark``, ``audio``, ``transcribe``, ``image``) is
    not installed."""

    exit_code = 9
    summary = "an optional extra (train, serve, report, spark, audio, transcribe, image) is not installed"

    def __init__(self, what: str, extra: str, cause: object = None):
        detail = f" ({cause})" if cause else ""
        packages = " ".join(f"'{r}'" for r in extra_requirements(extra))
        # the extra's own packages: emoscope is not on an index, and pip install '.[extra]' from a
        # clone rebuilds the whole wheel (models included) each time
        install = f"pip install {packages}" if packages else f"pip install '.[{extra}]' from a clone of emoscope"
        super().__init__(f"{what} needs the {extra} extra{detail}; {install}")
        self.extra = extra


def extra_requirements(extra: str) -> list[str]:
    """The requirements the installed emoscope declares for an extra (``["plotly>=5.20"]``)."""
    from importlib import metadata

    try:
        declared = metadata.requires("emoscope") or []
    except metadata.PackageNotFoundError:
        return []
    wanted = []
    for requirement in declared:
        spec, _, marker = requirement.partition(";")
        if re.search(rf"""extra\s*==\s*["']{re.escape(extra)}["']""", marker):
            wanted.append(spec.strip().replace(" ", ""))
    return wanted


class ResumeError(EmoscopeError):
    """An unfinished batch job is in the way, or cannot be resumed with these inputs."""

    exit_code = 10
    summary = "an unfinished job is in the way, or --resume does not match it"


class Interrupted(EmoscopeError):
    """Ctrl-C (SIGINT); for a batch job the message says how many rows were saved and the command
    that continues it."""

    exit_code = 130
    summary = "interrupted (a batch job can be continued with --resume)"

    def __init__(self, message: str, rows_saved: int = 0, folder: object = None):
        super().__init__(message)
        self.rows_saved, self.folder = rows_saved, folder


ERROR_CLASSES = (UsageError, InputNotFoundError, UnsupportedFormatError, UnknownColumnError,
                 InputDecodeError, ModelLoadError, TaxonomyError, MissingExtraError, ResumeError)
INTERRUPTED = Interrupted.exit_code

EXIT_CODES: dict[int, str] = {
    0: "success",
    EmoscopeError.exit_code: EmoscopeError.summary,
    **{cls.exit_code: cls.summary for cls in ERROR_CLASSES},
    INTERRUPTED: Interrupted.summary,
}


def exit_code(error: BaseException) -> int:
    """The exit code of an error: its class's, 1 for anything emoscope did not raise on purpose."""
    return error.exit_code if isinstance(error, EmoscopeError) else 1
