"""The face model: :class:`FaceEmotionModel` loads a model directory and says which expression
each face shows, in face crops or in whole images (where it finds the faces first)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import MissingExtraError, UsageError
from ..persistence import ModelFiles, Task
from ..runtime import GraphModel
from .results import FaceResult

DEFAULT_MODEL = "face-ferplus"
BATCH = 256  # crops per graph run; a crop's scores do not depend on the others in its batch
_RGB_TO_GREY = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R BT.601, as OpenCV


def _grey(crop: np.ndarray) -> np.ndarray:
    """A crop as (H, W) uint8 greyscale: colour is taken as RGB (as scikit-image and Pillow give
    it), an alpha channel is dropped, floats are read as [0, 1]."""
    crop = np.asarray(crop)
    if crop.ndim == 3 and crop.shape[2] in (3, 4):
        crop = crop[..., :3].astype(np.float32) @ _RGB_TO_GREY
    elif crop.ndim == 3 and crop.shape[2] == 1:
        crop = crop[..., 0]
    if crop.ndim != 2 or min(crop.shape) < 1:
        raise UsageError(f"a face crop must be (H, W), (H, W, 3) or (H, W, 4), not shape {crop.shape}")
    if crop.dtype.kind == "f":
        crop = np.clip(crop * 255.0 if crop.max(initial=0) <= 1.0 else crop, 0, 255)
    elif crop.dtype != np.uint8:
        crop = np.clip(crop, 0, 255)
    return np.rint(crop).astype(np.uint8) if crop.dtype != np.uint8 else crop


def _resize(crop: np.ndarray, side: int) -> np.ndarray:
    if crop.shape == (side, side):
        return crop
    try:
        import cv2
    except ImportError as exc:
        raise MissingExtraError(f"resizing a {crop.shape[1]}x{crop.shape[0]} crop", "image", exc) from None
    shrink = crop.shape[0] > side or crop.shape[1] > side
    return cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def _is_one_image(source) -> bool:
    return isinstance(source, (str, Path, bytes, bytearray)) or (
        isinstance(source, np.ndarray) and source.ndim in (2, 3))


class FaceEmotionModel(GraphModel):
    """Facial expression: one label per face, over the model's labels (the shipped
    ``face-ferplus``: FER+'s eight, neutral, happiness, surprise, sadness, anger, disgust, fear and
    contempt).

    >>> model = FaceEmotionModel.load()
    >>> [(face.box, face.labels) for face in model.predict("group.jpg")]
    >>> model.classify(crops)  # faces already cut: (n, H, W) or (n, H, W, 3) uint8, or a list
    """

    task = Task.IMAGE_CLASSIFICATION
    default_model = DEFAULT_MODEL
    not_this_kind = "a face model"

    def __init__(self, files: ModelFiles, session):
        super().__init__(files, session)
        self.side = int(self.config.image_size or 48)

    # -- crops ---------------------------------------------------------------------------
    def _pixels(self, crops) -> np.ndarray:
        if isinstance(crops, np.ndarray) and crops.ndim not in (3, 4):
            raise UsageError(f"crops must be a batch, (n, H, W) or (n, H, W, 3), not shape {crops.shape} "
                             f"(one crop: crop[None]; a whole image: predict())")
        grey = [_resize(_grey(crop), self.side) for crop in crops]
        if not grey:
            return np.zeros((0, 1, self.side, self.side), np.float32)
        return (np.stack(grey).astype(np.float32) / 255.0)[:, None]

    def predict_proba(self, crops) -> np.ndarray:
        """Probabilities (n, n_labels) of face crops: a uint8 array (n, H, W) or (n, H, W, 3) (RGB),
        or a list of such crops of any sizes; each is resized to the model's side."""
        pixels = self._pixels(crops)
        out = np.zeros((len(pixels), len(self.labels)), np.float32)
        for start in range(0, len(pixels), BATCH):
            out[start:start + BATCH] = self.session.run(None, {self._input: pixels[start:start + BATCH]})[0]
        return out

    def _results(self, probabilities: np.ndarray, boxes=None) -> list[FaceResult]:
        out = []
        for i, row in enumerate(probabilities):
            scores = {label: float(p) for label, p in zip(self.labels, row)}
            box = tuple(int(v) for v in boxes[i]) if boxes is not None else None
            out.append(FaceResult((self.labels[int(np.argmax(row))],), scores, box))
        return out

    def classify(self, crops) -> list[FaceResult]:
        """One :class:`FaceResult` per face crop (already cut; see :meth:`predict_proba`)."""
        return self._results(self.predict_proba(crops))

    # -- images --------------------------------------------------------------------------
    def find_faces(self, source, *, name: Optional[str] = None, min_size: Optional[int] = None,
                   max_side: Optional[int] = None):
        """The faces of one image: their boxes ``(x, y, width, height)`` in the image's pixels and
        their crops (n, side, side), as :meth:`predict` reads them.  ``min_size`` (the smallest face
        side looked for, in the image's pixels) and ``max_side`` (the longest side the search runs
        on) default to :mod:`emoscope.faces.detect`'s."""
        from .detect import DETECT_SIDE, MIN_FACE, crop_faces, detect_faces
        from .image import read_image_scaled

        image, factor = read_image_scaled(source, name=name)
        boxes = detect_faces(image, min_size=min_size or MIN_FACE, max_side=max_side or DETECT_SIDE)
        crops = crop_faces(image, boxes, side=self.side)
        return [box.scaled(factor).as_tuple() for box in boxes], crops

    def predict(self, source, *, name: Optional[str] = None, min_size: Optional[int] = None,
                max_side: Optional[int] = None):
        """The faces in an image (a path, the bytes of a file, or an (H, W) / (H, W, 3) RGB array):
        one :class:`FaceResult` with its ``box`` per face found, left to right; an empty list when
        there is none.  A list of images gives a list of such lists.  ``min_size`` and ``max_side``:
        see :meth:`find_faces`."""
        if not _is_one_image(source):
            if isinstance(source, np.ndarray) and source.ndim != 4:
                raise UsageError(f"an image must be (H, W) or (H, W, 3), not shape {source.shape}")
            return [self.predict(one, min_size=min_size, max_side=max_side) for one in source]
        boxes, crops = self.find_faces(source, name=name, min_size=min_size, max_side=max_side)
        return self._results(self.predict_proba(crops), boxes)

