"""emoscope: offline, fine-grained emotion recognition for text, speech and faces.

The model kinds (:class:`EmotionModel`, :class:`ContextEmotionModel`, :class:`ZeroShotClassifier`,
:class:`SpeechEmotionModel`, :class:`FaceEmotionModel`)
follow one protocol (:mod:`emoscope.protocol`); features built on them live in their own
modules (:mod:`emoscope.dialogue`, :mod:`emoscope.batch`, :mod:`emoscope.report`,
:mod:`emoscope.spark`, :mod:`emoscope.serve`, :mod:`emoscope.evaluate`, :mod:`emoscope.train`).
"""

from .errors import EmoscopeError
from .taxonomy import Rollup, load_rollup
from .faces import FaceEmotionModel, FaceResult
from .speech import SpeechEmotionModel, SpeechResult, SpeechSegment
from .text import VAD, ContextEmotionModel, EmotionModel, EmotionResult, RollupResult, ZeroShotClassifier
from .version import __version__

__all__ = ["EmotionModel", "ContextEmotionModel", "ZeroShotClassifier", "EmotionResult", "RollupResult",
           "VAD", "SpeechEmotionModel", "SpeechResult", "SpeechSegment", "FaceEmotionModel", "FaceResult", "Rollup", "load_rollup", "EmoscopeError", "__version__"]
