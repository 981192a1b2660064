"""Fixtures shared by every test package (helpers: :mod:`tests.helpers`)."""

import pytest

from tests.helpers import GOEMOTIONS, run_cli


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
