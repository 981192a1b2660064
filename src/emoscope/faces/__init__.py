"""Facial expressions: :class:`FaceEmotionModel` and its :class:`FaceResult` (image input and face
detection need the ``image`` extra, OpenCV)."""

from .model import FaceEmotionModel
from .results import FaceResult

__all__ = ["FaceEmotionModel", "FaceResult"]
