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


# The files that take longest (pytest --durations on an idle 2-core machine) start first, so the
# two workers finish together instead of one running a long file alone at the end.  Slow run: the
# frozen all-mpnet-base-v2 training (about 160 s beside the others) and the heads rebuild (150 s);
# README run: the card re-measures (about 270 s), then the batch jobs, the CLI, the reference
# scores and evaluate (50-80 s each).  pyproject.toml keeps this order for pytest-xdist
# (--no-loadscope-reorder; the slow run in CI is --dist load, which sends tests in this order).
LONGEST_FIRST = ("tests/train/test_frozen.py", "tests/train/test_heads.py", "tests/train/test_faces.py",
                 "tests/test_cards.py", "tests/test_batch.py", "tests/cli/test_analyze.py",
                 "tests/test_behaviour.py", "tests/evaluate/test_evaluate.py")


def pytest_collection_modifyitems(items):
    rank = {path: i for i, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))  # stable: the rest keep their order


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
