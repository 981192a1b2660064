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


def measured_here(card: dict) -> bool:
    """True when this CPU runs the int8 kernels a model card's numbers were measured with
    (``training.int8_kernels``; a card written before it was recorded was measured on x86-64
    AVX2).  Elsewhere a static-int8 model scores a few texts slightly differently
    (:func:`emoscope.runtime.int8_kernels`), so its numbers are compared within a tolerance."""
    from emoscope.runtime import AVX2_KERNELS, int8_kernels

    return (card.get("training") or {}).get("int8_kernels", AVX2_KERNELS) == int8_kernels()


RUN_DEPENDENT = {"turns_per_second", "texts_per_second"}  # timings of the run, not of the model


def same_numbers(printed, quoted, where="", loose=False):
    """Equal, to the last digit of what a card rounds (unrounded floats such as the ECE to 1e-7
    relative: their float32 sums move in the ninth digit with numpy's version); ``loose``: an int8
    model on a CPU whose int8 kernels differ from the cards' (a few texts scored differently):
    metrics within 0.005, counts within 5."""
    if isinstance(quoted, dict):
        assert set(printed) - RUN_DEPENDENT == set(quoted) - RUN_DEPENDENT, where
        for k in set(quoted) - RUN_DEPENDENT:
            same_numbers(printed[k], quoted[k], f"{where}.{k}", loose)
    elif isinstance(quoted, list):
        assert len(printed) == len(quoted), where
        for i, (p, q) in enumerate(zip(printed, quoted)):
            same_numbers(p, q, f"{where}[{i}]", loose)
    elif isinstance(quoted, float):
        assert printed == pytest.approx(quoted, rel=1e-7, abs=0.005 if loose else 1e-12), where
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
