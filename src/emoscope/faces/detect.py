"""Finding faces in an image and cutting them out as the 48 x 48 grey crops the face models read.

The detector is OpenCV's Haar cascade ``haarcascade_frontalface_alt2.xml``, shipped inside
opencv-python(-headless) 4.x (5.0's wheels leave the cascades out).  It was chosen on 500 FER+
valid crops (those no annotator called "not a face") pasted, enlarged 3-4 times, into 640 x 480
cuts of scikit-image's sample photos without faces.  With 5 neighbours it finds 54% of them
(IoU >= 0.5 with the pasted square) with 0.024 false faces a picture and none in 78 pictures
without a face; ``alt`` is alike (54%, 0.014) but slower, and on 200 of them ``default`` found as
many only with a false face in most pictures (0.6 a picture), ``alt_tree`` under 20%.  The
misses are FER2013's turned, tilted, covered and cut-off faces: the cascade finds frontal faces
tilted up to about 15 degrees, and the 48 x 48 models read the others badly anyway.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from ..errors import MissingExtraError, UsageError
from .image import _cv2, to_grey

CASCADE = "haarcascade_frontalface_alt2.xml"
MIN_NEIGHBOURS = 5   # overlapping raw detections a face needs; fewer lets background through
SCALE_STEP = 1.1     # the cascade's window grows by this factor from one pass to the next
MIN_FACE = 32        # pixels; a smaller face would be mostly upsampling at 48 x 48
DETECT_SIDE = 1280   # larger images are searched on a copy shrunk to this longest side
MARGIN = 0.025       # the Haar box is a little tighter than a FER2013 crop (see crop_face)
_cascades = threading.local()  # one per thread: OpenCV does not promise a CascadeClassifier is thread-safe


@dataclass(frozen=True)
class FaceBox:
    """A face's square in the image's pixels: ``x``, ``y`` its top left corner."""

    x: int
    y: int
    width: int
    height: int

    def as_tuple(self) -> tuple[int, int, int, int]:
        return self.x, self.y, self.width, self.height

    def to_dict(self) -> dict[str, int]:
        return {"x": self.x, "y": self.y, "width": self.width, "height": self.height}

    @property
    def area(self) -> int:
        return self.width * self.height

    def intersection(self, other: FaceBox) -> int:
        w = min(self.x + self.width, other.x + other.width) - max(self.x, other.x)
        h = min(self.y + self.height, other.y + other.height) - max(self.y, other.y)
        return max(w, 0) * max(h, 0)

    def iou(self, other: FaceBox) -> float:
        """Intersection over union, 0 for boxes apart, 1 for the same box."""
        inter = self.intersection(other)
        union = self.area + other.area - inter
        return inter / union if union else 0.0

    def scaled(self, factor: float) -> FaceBox:
        """The box in pixels ``factor`` times as large (from a reduced image to the original: the
        factor :func:`~emoscope.faces.image.read_image_scaled` returns).  The corners are rounded,
        not the sides, so boxes that touched still touch."""
        x, y = round(self.x * factor), round(self.y * factor)
        return FaceBox(x, y, round((self.x + self.width) * factor) - x, round((self.y + self.height) * factor) - y)


def detect_faces(image: np.ndarray, *, min_size: int = MIN_FACE, max_side: int = DETECT_SIDE) -> list[FaceBox]:
    """The frontal faces in an RGB or grey uint8 image, left to right (an empty list when there is
    none).  ``min_size``: the smallest face side in pixels to look for; smaller faces are both
    unreliable and not worth a crop, and skipping them is most of the speed.

    The search runs on the histogram-equalised grey image (so dim and washed-out photos look
    alike to the cascade), shrunk to a longest side of ``max_side`` (:data:`DETECT_SIDE`; video
    frames use 640, see :mod:`emoscope.faces.video`) when larger, as its
    time grows with the pixels; faces under the cascade's 20-pixel window on the shrunk copy
    (125 pixels in a photo 8000 wide) are then missed.  Boxes are in the given image's pixels."""
    if min_size < 1:
        raise UsageError(f"min_size must be a positive number of pixels, not {min_size}")
    cv2 = _cv2()
    grey = to_grey(image)
    height, width = grey.shape
    shrink = min(1.0, max_side / max(height, width))
    if shrink < 1:
        grey = cv2.resize(grey, (max(1, round(width * shrink)), max(1, round(height * shrink))),
                          interpolation=cv2.INTER_AREA)
    side = max(1, round(min_size * shrink))
    rects, counts = _cascade().detectMultiScale2(cv2.equalizeHist(grey), scaleFactor=SCALE_STEP,
                                                 minNeighbors=MIN_NEIGHBOURS, minSize=(side, side))
    found = []
    for (x, y, w, h), n in sorted(zip(np.asarray(rects).reshape(-1, 4).tolist(), np.ravel(counts).tolist()),
                                  key=lambda item: -item[1]):
        box = _clipped(FaceBox(x, y, w, h).scaled(1 / shrink), width, height)
        # the cascade's own grouping leaves a face found at two scales (one box inside the other)
        if box.area and not any(box.iou(b) > 0.3 or box.intersection(b) > 0.6 * min(box.area, b.area)
                                for b in found):
            found.append(box)
    return sorted(found, key=lambda b: (b.x, b.y))


def crop_face(image: np.ndarray, box: FaceBox, *, side: int = 48, margin: float = MARGIN) -> np.ndarray:
    """The face as a (side, side) uint8 grey crop, framed as FER2013's (roughly forehead to chin).

    ``margin``: how much to widen the box on each side, as a fraction of its side.  The default is
    measured: FER+ valid crops pasted into pictures, found and cut back out, were closest to the
    originals (median pixel correlation 0.81) with 0.025, against 0.77 with none, 0.73 with 0.05
    and 0.22 with 0.2; the Haar box's side is on average 1/1.07 of the crop's.  The crop is the
    square around the box's centre, so a box that is not square is not squashed; parts outside
    the image repeat its edge.

    No eye alignment, by measurement: levelling the eyes found by ``haarcascade_eye.xml`` in the
    box's upper half brought crops of faces tilted 5-15 degrees closer to the originals (mean
    correlation 0.58 to 0.63), but took upright ones further away (0.68 to 0.65), as the eye pair
    is found in only two faces of three and then a third of the angles are off by over 5 degrees.
    FER2013's own faces are not aligned either: the models learnt faces as they come.
    """
    if side < 1:
        raise UsageError(f"side must be a positive number of pixels, not {side}")
    cv2 = _cv2()
    grey = to_grey(image)
    return _crop(cv2, grey, box, side, margin)


def crop_faces(image: np.ndarray, boxes: Iterable[FaceBox], side: int = 48, *, margin: float = MARGIN) -> np.ndarray:
    """The crops of :func:`crop_face` for all the boxes, as one (n, side, side) uint8 array
    ((0, side, side) for no box), the batch the face models take."""
    if side < 1:
        raise UsageError(f"side must be a positive number of pixels, not {side}")
    cv2 = _cv2()
    grey = to_grey(image)  # once for all the faces
    crops = [_crop(cv2, grey, box, side, margin) for box in boxes]
    return np.stack(crops) if crops else np.zeros((0, side, side), np.uint8)


def _crop(cv2, grey: np.ndarray, box: FaceBox, side: int, margin: float) -> np.ndarray:
    if box.width < 1 or box.height < 1:
        raise UsageError(f"a face box needs a positive width and height, not {box}")
    if not margin > -0.5:
        raise UsageError(f"margin must be more than -0.5 (a negative one narrows the box), not {margin}")
    half = max(box.width, box.height) * (0.5 + margin)
    cx, cy = box.x + box.width / 2, box.y + box.height / 2
    left, top = round(cx - half), round(cy - half)
    size = max(1, round(2 * half))
    height, width = grey.shape
    x0, y0 = max(left, 0), max(top, 0)
    x1, y1 = min(left + size, width), min(top + size, height)
    if x0 >= x1 or y0 >= y1:
        raise UsageError(f"the face box {box.as_tuple()} lies outside the {width}x{height} image")
    patch = grey[y0:y1, x0:x1]
    if (x0 - left, y0 - top, left + size - x1, top + size - y1) != (0, 0, 0, 0):
        patch = cv2.copyMakeBorder(patch, y0 - top, top + size - y1, x0 - left, left + size - x1,
                                   cv2.BORDER_REPLICATE)
    interpolation = cv2.INTER_AREA if size > side else cv2.INTER_CUBIC
    return cv2.resize(patch, (side, side), interpolation=interpolation)


def _clipped(box: FaceBox, width: int, height: int) -> FaceBox:
    x0, y0 = max(box.x, 0), max(box.y, 0)
    x1, y1 = min(box.x + box.width, width), min(box.y + box.height, height)
    return FaceBox(x0, y0, max(x1 - x0, 0), max(y1 - y0, 0))


def _cascade():
    """The face cascade, loaded once per thread."""
    cascade = getattr(_cascades, "face", None)
    if cascade is None:
        cv2 = _cv2()
        folder = getattr(getattr(cv2, "data", None), "haarcascades", None)
        cascade = cv2.CascadeClassifier(folder + CASCADE) if folder else None
        if cascade is None or cascade.empty():
            raise MissingExtraError("face detection", "image",
                                    f"OpenCV {cv2.__version__} has no {CASCADE}; opencv-python-headless 4.x has")
        _cascades.face = cascade
    return cascade
