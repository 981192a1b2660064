"""One table of exit codes: the error classes, ``emoscope --help`` and docs/cli.md agree."""

import os
import re
import subprocess
import sys

import pytest

from emoscope import errors
from tests.helpers import REPO, run_cli


def test_every_error_class_has_its_own_code_in_the_table():
    codes = [cls.exit_code for cls in errors.ERROR_CLASSES]
    assert len(codes) == len(set(codes))
    for cls in errors.ERROR_CLASSES:
        assert errors.EXIT_CODES[cls.exit_code] == cls.summary
    assert set(errors.EXIT_CODES) == {0, 1, *codes, errors.INTERRUPTED}
    assert errors.MissingExtraError.exit_code == 9  # code 9 has its class
    assert errors.exit_code(errors.TaxonomyError("x")) == 8 and errors.exit_code(RuntimeError()) == 1


def test_http_error_codes_are_snake_case():
    assert errors.TaxonomyError.code() == "taxonomy_error"
    assert errors.InputDecodeError.code() == "input_decode_error"
    for cls in errors.ERROR_CLASSES:
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", cls.code())


def test_help_prints_the_table():
    result = run_cli("--help")
    assert result.returncode == 0
    shown = " ".join(result.stdout.replace("│", " ").split())
    for code, summary in errors.EXIT_CODES.items():
        assert f"{code} {' '.join(summary.split())}" in shown


def test_the_docs_list_the_table():
    docs = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    for code, summary in errors.EXIT_CODES.items():
        assert f"| {code} | {summary} |" in docs


@pytest.mark.parametrize("args,code", [
    (("analyze",), 2),
    (("analyze", "--input", "/nonexistent.csv"), 3),
    (("evaluate", "--dataset", "nope", "--data", "."), 4),
    (("analyze", "--model", "/tmp", "hi"), 7),
    (("analyze", "--rollup", "/nonexistent.yaml", "hi"), 8),
    (("analyze", "--labels", "", "hi"), 2),
])
def test_each_error_exits_with_its_code_on_one_line(args, code):
    result = run_cli(*args)
    assert result.returncode == code, result.stderr
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1


@pytest.mark.parametrize("args,code", [
    (("analyze", "--no-such-option"), 2),
    (("analyze", "--input", "x.csv", "--chunk-rows", "0"), 2),
    (("evaluate",), 2),
    (("analyze", "--input", "/nonexistent/" + "a-very-long-folder-name/" * 8 + "input.csv"), 3),
])
def test_errors_are_one_line_at_any_width(args, code, tmp_path):
    """Click's own usage errors too, with a narrow terminal and standard error in a file."""
    log = tmp_path / "stderr.txt"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "20"}
    with open(log, "w") as stderr:
        status = subprocess.run([sys.executable, "-m", "emoscope", *args], stdout=subprocess.DEVNULL,
                                stderr=stderr, env=env, timeout=300).returncode
    written = log.read_text()
    assert status == code, written
    assert written.startswith("error: ") and written.count("\n") == 1 and "╭" not in written, written


def test_missing_extra_names_the_packages_to_install():
    message = str(errors.MissingExtraError("--plot", "report", "no module named 'plotly'"))
    assert "pip install 'plotly" in message and "emoscope[report]" not in message


def test_the_threads_environment_variable_sets_the_default_and_is_checked(monkeypatch):
    from emoscope.errors import UsageError
    from emoscope.runtime import THREADS_ENV, runtime_threads

    monkeypatch.delenv(THREADS_ENV, raising=False)
    assert runtime_threads(None) is None and runtime_threads(3) == 3
    monkeypatch.setenv(THREADS_ENV, "1")
    assert runtime_threads(None) == 1 and runtime_threads(2) == 2  # an explicit number wins
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv(THREADS_ENV, bad)
        with pytest.raises(UsageError, match=THREADS_ENV):
            runtime_threads(None)


def test_passive_wait_policy_stops_onnxruntime_threads_spinning(monkeypatch):
    from emoscope.runtime import WAIT_POLICY_ENV, session_options

    monkeypatch.setenv(WAIT_POLICY_ENV, "PASSIVE")
    options = session_options(2, inter_op_threads=1)
    assert (options.intra_op_num_threads, options.inter_op_num_threads) == (2, 1)
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    monkeypatch.delenv(WAIT_POLICY_ENV)
    with pytest.raises(Exception, match="does not have configuration"):  # onnxruntime's default: spin
        session_options(2).get_session_config_entry("session.intra_op.allow_spinning")
