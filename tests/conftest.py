"""Fixtures shared by every test package (helpers: :mod:`tests.helpers`)."""

import os

import pytest

from tests.helpers import GOEMOTIONS, run_cli


def pytest_configure(config):
    """In a pytest-xdist worker (the suite runs in two, pyproject.toml), a graph runs on one
    thread unless a test says otherwise, and OpenMP threads (torch) sleep rather than spin while
    they wait: two workers on two cores would otherwise each run two busy threads.  Subprocesses
    (the CLI, the server) inherit both."""
    if hasattr(config, "workerinput"):
        os.environ.setdefault("EMOSCOPE_NUM_THREADS", "1")
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@pytest.fixture(scope="session")
def model():
    from emoscope import EmotionModel

    return EmotionModel.load()


@pytest.fixture(scope="session")
def goemotions_dir():
    if not (GOEMOTIONS / "test.tsv").is_file():
        pytest.skip(f"GoEmotions not found at {GOEMOTIONS} (set EMOSCOPE_DATASETS)")
    return GOEMOTIONS


@pytest.fixture
def cli():
    return run_cli
