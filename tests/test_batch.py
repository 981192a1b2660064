"""Streaming, resumable batch jobs: the real CLI in a subprocess, killed with SIGKILL and resumed."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.helpers import assert_clean_error, run_cli

ROWS = 500
CHUNK = 50


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, goemotions_dir):
    texts = [line.split("\t", 1)[0] for line in
             (goemotions_dir / "test.tsv").read_text(encoding="utf-8").splitlines()[:ROWS]]
    texts[7] = ""  # an empty text keeps its row
    folder = tmp_path_factory.mktemp("batch")
    source = folder / "in.csv"
    pd.DataFrame({"row": range(len(texts)), "text": texts}).to_csv(source, index=False)
    reference = folder / "reference.parquet"
    result = run_cli("analyze", "--input", source, "--output", reference, "--chunk-rows", CHUNK)
    assert result.returncode == 0, result.stderr
    return source, pd.read_parquet(reference)


def manifest_rows(folder: Path) -> int:
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return 0
    return sum(part["rows"] for part in manifest["parts"])


def start_job(source, target, *extra):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen([sys.executable, "-m", "emoscope", "analyze", "--input", str(source),
                             "--output", str(target), "--chunk-rows", str(CHUNK), *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, preexec_fn=_default_sigint)


def _default_sigint() -> None:
    """Ctrl-C acts on the job even when the suite itself runs in the background of a shell
    without job control, whose children start with SIGINT ignored (Python then never raises
    KeyboardInterrupt)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_for_rows(proc, folder: Path, rows: int) -> None:
    deadline = time.monotonic() + 300
    while manifest_rows(folder) < rows:
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "job made no progress"
        time.sleep(0.02)



def kill_after(proc, folder: Path, rows: int) -> int:
    """SIGKILL the job once the manifest lists at least ``rows`` rows (mid-chunk, not between)."""
    wait_for_rows(proc, folder, rows)
    time.sleep(0.05)  # land inside the next chunk's work
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return manifest_rows(folder)


def test_sigkilled_job_resumes_to_the_uninterrupted_output(corpus, tmp_path):
    source, reference = corpus
    target = tmp_path / "out.parquet"
    folder = tmp_path / "out.parquet.parts"

    done_first = kill_after(start_job(source, target), folder, 3 * CHUNK)
    assert not target.exists()  # nothing final until every row is done
    assert 3 * CHUNK <= done_first < ROWS

    # without --resume the unfinished work is not thrown away
    assert_clean_error(run_cli("analyze", "--input", source, "--output", target,
                               "--chunk-rows", CHUNK), 10, "--resume")

    done_second = kill_after(start_job(source, target, "--resume"), folder, done_first + 2 * CHUNK)
    assert done_second > done_first

    result = run_cli("analyze", "--input", source, "--output", target, "--chunk-rows", CHUNK, "--resume")
    assert result.returncode == 0, result.stderr
    assert f"({done_second} from the earlier run)" in " ".join(result.stderr.split())
    out = pd.read_parquet(target)
    assert out["row"].astype(int).tolist() == list(range(ROWS))  # every row once, in order
    pd.testing.assert_frame_equal(out, reference)  # same predictions as one uninterrupted run
    assert not folder.exists()


def test_resume_refuses_other_options_or_a_changed_input(corpus, tmp_path):
    source, _ = corpus
    copy = tmp_path / "in.csv"
    copy.write_bytes(source.read_bytes())
    target = tmp_path / "out.jsonl"
    kill_after(start_job(copy, target), tmp_path / "out.jsonl.parts", CHUNK)

    assert_clean_error(run_cli("analyze", "--input", copy, "--output", target, "--chunk-rows", CHUNK,
                               "--resume", "--no-scores"), 10, "scores")
    with open(copy, "a", encoding="utf-8") as handle:
        handle.write(f"{ROWS},one more row\n")
    assert_clean_error(run_cli("analyze", "--input", copy, "--output", target, "--chunk-rows", CHUNK,
                               "--resume"), 10, "changed")


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_chunked_text_outputs_equal_the_parquet_reference(corpus, tmp_path, suffix):
    source, reference = corpus
    target = tmp_path / f"out{suffix}"
    result = run_cli("analyze", "--input", source, "--output", target, "--chunk-rows", 333)
    assert result.returncode == 0, result.stderr
    out = (pd.read_csv(target, keep_default_na=False) if suffix == ".csv"
           else pd.read_json(target, lines=True))
    assert len(out) == ROWS
    assert out["labels"].tolist() == reference["labels"].tolist()
    assert np.allclose(out["score_joy"], reference["score_joy"], atol=2e-6)


def test_jsonl_input_with_a_bad_line_names_it_and_leaves_nothing(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "fine"}\n{"text": "also fine"}\n{"text": broken}\n', encoding="utf-8")
    target = tmp_path / "out.parquet"
    assert_clean_error(run_cli("analyze", "--input", source, "--output", target), 6, "in.jsonl:3:")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_undecodable_csv_names_line_and_column(tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes(b"text\nfine\n" + b"ok " * 3000 + b"\n" + b"caf\xe9\n")
    assert_clean_error(run_cli("analyze", "--input", source, "--output", tmp_path / "o.csv"), 6,
                       "in.csv:4:4")


def test_a_second_job_on_the_same_output_stops_and_names_the_first(corpus, tmp_path):
    source, reference = corpus
    bigger = tmp_path / "in.csv"  # twice the corpus: the first job is still busy later
    pd.concat([pd.read_csv(source, dtype=str, keep_default_na=False)] * 2).to_csv(bigger, index=False)
    target = tmp_path / "out.parquet"
    first = start_job(bigger, target)
    wait_for_rows(first, tmp_path / "out.parquet.parts", CHUNK)
    for extra in ((), ("--resume",)):
        second = run_cli("analyze", "--input", bigger, "--output", target, "--chunk-rows", CHUNK, *extra)
        assert_clean_error(second, 10, f"pid {first.pid}", "another emoscope job")
    assert first.wait(timeout=600) == 0, first.stderr.read().decode()
    out = pd.read_parquet(target)
    assert len(out) == 2 * ROWS
    pd.testing.assert_frame_equal(out.iloc[:ROWS].reset_index(drop=True).drop(columns="row"),
                                  reference.drop(columns="row"), check_dtype=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.parquet"]  # no lock left


def test_ctrl_c_says_how_to_resume(corpus, tmp_path):
    source, reference = corpus
    target = tmp_path / "out.parquet"
    job = start_job(source, target)
    wait_for_rows(job, tmp_path / "out.parquet.parts", CHUNK)
    job.send_signal(signal.SIGINT)
    assert job.wait(timeout=120) == 130
    stderr = job.stderr.read().decode()
    assert stderr.startswith("error: interrupted with ") and stderr.count("\n") == 1, stderr
    assert "rows saved" in stderr and stderr.rstrip().endswith("--resume"), stderr
    command = stderr.split("continue with: ", 1)[1].split()
    assert command[:2] == ["emoscope", "analyze"]
    result = run_cli(*command[1:])
    assert result.returncode == 0, result.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(target), reference)


def test_an_output_that_is_a_directory_fails_before_any_work(corpus, tmp_path):
    source, _ = corpus
    (tmp_path / "x.csv").mkdir()
    assert_clean_error(run_cli("analyze", "--input", source, "--output", tmp_path / "x.csv"), 2,
                       "x.csv", "is a directory")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.csv"]
