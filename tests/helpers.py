"""Helpers shared by the tests: where the datasets are, the real CLI in a subprocess, a real
headless Chromium."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
DATASETS = Path(os.environ.get("EMOSCOPE_DATASETS", REPO.parent / "shared" / "datasets"))
GOEMOTIONS = DATASETS / "goemotions"


def int8_kernels_as_measured() -> bool:
    """True when onnxruntime's int8 matrix kernels on this CPU are the ones the shipped cards and
    ``fixtures/reference_scores.npz`` were measured with: x86-64 with AVX2 and no VNNI.  AVX2's
    8-bit multiply-add saturates sums of two products at 16 bits, VNNI's (AVX-512 VNNI, AVX-VNNI)
    does not, and ARM has kernels of its own; so a static-int8 graph scores a few texts slightly
    differently there.  Measured on an AVX-512 VNNI machine (2026-12-01): probabilities up to
    8.5e-4 apart, 3 of 2,610 MELD test turns labelled differently, a per-class F1 1.8e-3 apart."""
    import platform

    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:  # not Linux: the kernels cannot be told
        return False
    return "avx2" in flags and not flags & {"avx512_vnni", "avx_vnni", "avx_vnni_int8"}


RUN_DEPENDENT = {"turns_per_second", "texts_per_second"}  # timings of the run, not of the model


def same_numbers(printed, quoted, where="", loose=False):
    """Equal, to the last digit; ``loose``: an int8 model on a CPU whose int8 kernels differ from
    the cards' (a few texts scored differently): metrics within 0.005, counts within 5."""
    if isinstance(quoted, dict):
        assert set(printed) - RUN_DEPENDENT == set(quoted) - RUN_DEPENDENT, where
        for k in set(quoted) - RUN_DEPENDENT:
            same_numbers(printed[k], quoted[k], f"{where}.{k}", loose)
    elif isinstance(quoted, list):
        assert len(printed) == len(quoted), where
        for i, (p, q) in enumerate(zip(printed, quoted)):
            same_numbers(p, q, f"{where}[{i}]", loose)
    elif isinstance(quoted, float):
        assert printed == pytest.approx(quoted, rel=1e-9, abs=0.005 if loose else 1e-12), where
    elif loose and isinstance(quoted, int) and not isinstance(quoted, bool):
        assert abs(printed - quoted) <= 5, where
    else:
        assert printed == quoted, where


def needs(path: Path) -> Path:
    """Skip the test when a dataset file or folder is missing."""
    if not Path(path).exists():
        pytest.skip(f"{path} not found (set EMOSCOPE_DATASETS)")
    return Path(path)


def run_cli(*args, input=None, cwd=None, columns=120):
    """Run the real ``emoscope`` command in a subprocess (its output a pipe ``columns`` wide)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONIOENCODING": "utf-8", "COLUMNS": str(columns)}
    return subprocess.run([sys.executable, "-m", "emoscope", *map(str, args)], input=input,
                          capture_output=True, text=input is None or isinstance(input, str),
                          env=env, cwd=cwd, timeout=600)


def read_jsonl(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line]


def chromium_binary():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


needs_chromium = pytest.mark.skipif(
    not (chromium_binary() and shutil.which("chromedriver")),
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")


def headless_chromium(tmp_path, offline: bool = False):
    """A real headless Chromium driven by Selenium, keeping the browser console log; with
    ``offline`` no host name but the loopback resolves, so a page that needs the network shows
    errors."""
    webdriver = pytest.importorskip("selenium.webdriver")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium_binary()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    if offline:
        options.add_argument("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options,
                            service=webdriver.ChromeService(executable_path=shutil.which("chromedriver")))


def assert_clean_error(result, code, *fragments):
    """A CLI run that failed with exit ``code``: one ``error:`` line naming every fragment, no
    traceback."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error:") and result.stderr.count("\n") == 1, result.stderr
    message = result.stderr.strip()
    for fragment in fragments:
        assert fragment in message, (fragment, message)
