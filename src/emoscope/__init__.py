"""emoscope: offline, fine-grained emotion recognition for text."""

from .errors import EmoscopeError
from .model import EmotionModel, EmotionResult, RollupResult
from .taxonomy import Rollup, load_rollup


def __getattr__(name):
    # loaded on first use, so ``import emoscope`` stays quick
    if name == "ZeroShotClassifier":
        from .zeroshot import ZeroShotClassifier

        return ZeroShotClassifier
    if name == "ContextEmotionModel":
        from .dialogue.model import ContextEmotionModel

        return ContextEmotionModel
    raise AttributeError(f"module 'emoscope' has no attribute {name!r}")


__version__ = "0.1.0"
__all__ = ["EmotionModel", "EmotionResult", "RollupResult", "Rollup", "load_rollup",
           "EmoscopeError", "ZeroShotClassifier", "ContextEmotionModel", "__version__"]
