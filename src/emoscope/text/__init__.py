"""Text: the model kinds that read text, their results, and the ONNX runtime under them."""

from .context import ContextEmotionModel, contextual_inputs
from .encoder import OnnxTextEncoder
from .model import EmotionModel
from .results import VAD, EmotionResult, RollupResult
from .zeroshot import SentenceEncoder, ZeroShotClassifier

__all__ = ["EmotionModel", "ContextEmotionModel", "ZeroShotClassifier", "SentenceEncoder", "OnnxTextEncoder",
           "EmotionResult", "RollupResult", "VAD", "contextual_inputs"]
