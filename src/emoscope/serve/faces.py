"""``POST /v1/face``: the faces in an uploaded image and the expression of each.

The upload is read as speech's is (:func:`emoscope.serve.uploads.read_upload`: multipart/form-data,
one file field ``file``, its bytes counted while they arrive, at most ``max_image_bytes``), so the
two endpoints refuse the same things the same way.  The pixels are bounded by the image reader
(:mod:`emoscope.faces.image`, with ``max_image_pixels``), which reads the size from the header
before decoding: a JPEG over the limit is decoded reduced (libjpeg scales while it decodes) and
its boxes are given back in the original's pixels, any other image over it is refused, so no
upload, whatever its header claims, makes the server decode a huge image.  Decoding, detection and the
model run in a worker thread.  The face model is loaded on the first face request, so a server
used for text only never loads it nor needs OpenCV.

Status codes: 413 ``image_too_large`` (bytes or pixels; the message names the limit); 415
``unsupported_media_type`` (not multipart/form-data, or a file that is no format the reader knows,
under a name that does not say it is an image); 422
``input_decode_error`` (an empty, damaged, truncated or not-image file), ``invalid_request`` (no
``file`` field), ``malformed_multipart``; 501 ``faces_unavailable`` (OpenCV, python-multipart or
the face model is missing on the server).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Optional

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field

from ..errors import MissingExtraError, UnsupportedFormatError
from .errors import APIError
from .uploads import UploadModelService, read_upload, upload_name

if TYPE_CHECKING:
    from ..faces.model import FaceEmotionModel

# what the route answers, for its documented responses (input_decode_error is the class's name)
FACE_ERROR_CODES = ("image_too_large", "unsupported_media_type", "invalid_request", "malformed_multipart",
                    "faces_unavailable")
OPENCV = "opencv-python-headless"  # the image extra's package, which provides cv2


class FaceBoxOut(BaseModel):
    """Where a face is, in the uploaded image's pixels (its top-left corner, then its size)."""

    x: int
    y: int
    width: int
    height: int


class FaceOut(BaseModel):
    """One face found in the image."""

    labels: list[str] = Field(..., description="The face's expression (one label).")
    top_label: str
    top_score: float
    box: FaceBoxOut
    scores: dict[str, float] = Field(..., description="A probability per label.")


class FaceResponse(BaseModel):
    """The face model's result for one image (the schema of ``FaceResult.to_dict()`` per face)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "model": "face-ferplus", "source": "team.jpg", "width": 1280, "height": 853,
        "faces": [{"labels": ["happiness"], "top_label": "happiness", "top_score": 0.9731,
                   "box": {"x": 412, "y": 188, "width": 164, "height": 164},
                   "scores": {"neutral": 0.0211, "happiness": 0.9731, "...": 0.0}}]}]})

    model: str = Field(..., description="The face model's name.")
    source: Optional[str] = Field(None, description="The upload's file name.")
    width: int = Field(..., description="The image's width in pixels (as decoded, EXIF orientation applied).")
    height: int = Field(..., description="The image's height in pixels.")
    faces: list[FaceOut] = Field(..., description="One entry per face found, left to right; empty when none.")


# the multipart body, for the OpenAPI document (the route reads the stream itself)
FACE_UPLOAD_SCHEMA = {
    "title": "FaceUpload", "type": "object", "required": ["file"],
    "description": "multipart/form-data with one file field; curl -F file=@photo.jpg",
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "The image: JPEG, PNG, WebP, BMP, GIF or TIFF. The part's "
                                           "content type is not used: the file's first bytes are."}},
}


class FaceService(UploadModelService):
    """The lazily loaded face model and the work of one upload."""

    what, kind = "faces", "face"
    unavailable_code = "faces_unavailable"

    def __init__(self, settings):
        super().__init__(settings)
        self.images = 0

    def missing_packages(self) -> list[str]:
        return _missing_packages()

    def load_model(self) -> "FaceEmotionModel":
        from ..faces.model import FaceEmotionModel

        return FaceEmotionModel.load(self.settings.face_model, num_threads=self.settings.num_threads)

    async def analyse(self, request: Request) -> dict:
        model = await self.get_model()  # 501 before reading the body when faces are unavailable
        data, filename = await read_upload(request, self.settings.max_image_bytes, code="image_too_large",
                                            setting="max_image_bytes", what="image", example="photo.jpg")
        result = await asyncio.to_thread(self._predict, model, data, filename)
        self.images += 1
        return result

    def _predict(self, model: "FaceEmotionModel", data: bytes, filename: Optional[str]) -> dict:
        from ..faces.image import ImageTooLargeError, read_image_scaled

        limit = self.settings.max_image_pixels
        try:
            image, factor = read_image_scaled(data, name=upload_name(filename), max_pixels=limit)
        except ImageTooLargeError as exc:
            raise APIError(413, "image_too_large", f"{exc} (this server's max_image_pixels)",
                           max_pixels=limit) from None
        except UnsupportedFormatError as exc:
            raise APIError(415, "unsupported_media_type", str(exc)) from None
        except MissingExtraError as exc:  # OpenCV went missing after the model loaded
            raise APIError(501, "faces_unavailable", str(exc)) from None
        faces = model.predict(image)  # boxes in the pixels of the image as decoded, maybe reduced
        if factor != 1:  # back to the upload's pixels (a side may be one off: libjpeg rounds up)
            faces = [face.scaled(factor) for face in faces]
        height, width = (int(round(side * factor)) for side in image.shape[:2])
        return {"model": model.name, "source": filename or None, "width": width, "height": height,
                "faces": [face.to_dict() for face in faces]}


def _missing_packages() -> list[str]:
    """The pip names of what /v1/face needs and this Python lacks."""
    missing = []
    try:
        import cv2  # noqa: F401
    except ImportError:  # also an OpenCV wheel whose system libraries are missing
        missing.append(OPENCV)
    from starlette import formparsers

    if formparsers.multipart is None:
        missing.append("python-multipart")
    return missing
