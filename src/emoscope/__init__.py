"""emoscope: offline, fine-grained emotion recognition for text."""

from .errors import EmoscopeError
from .model import EmotionModel, EmotionResult, RollupResult
from .taxonomy import Rollup, load_rollup

__version__ = "0.1.0"
__all__ = ["EmotionModel", "EmotionResult", "RollupResult", "Rollup", "load_rollup",
           "EmoscopeError", "__version__"]
