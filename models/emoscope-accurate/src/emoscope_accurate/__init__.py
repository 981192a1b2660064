"""The accurate tier of emoscope, a model package: ``EmotionModel.load("accurate")`` finds it
through the ``emoscope.models`` entry point once this package is installed."""

from pathlib import Path


def model_dir() -> Path:
    """The folder holding the model (its card is ``model/README.md``)."""
    return Path(__file__).parent / "model"
