"""Speech: emotion in the voice, from audio files and recordings (the ``audio`` extra)."""

from .model import DEFAULT_MODEL, SpeechEmotionModel
from .results import SpeechResult, SpeechSegment

__all__ = ["DEFAULT_MODEL", "SpeechEmotionModel", "SpeechResult", "SpeechSegment"]
