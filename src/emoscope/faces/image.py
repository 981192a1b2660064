"""Image input for the face models: a file, an upload's bytes or an array, as uint8 greyscale (H, W)
or RGB (H, W, 3).

Decoding is OpenCV's ``cv2.imdecode`` on bytes read here, so paths that are not ASCII work on every
platform.  The formats are those whose size is read from the header before anything is decoded:
JPEG, PNG, WebP, BMP, GIF (its first frame) and TIFF (its first page); a JPEG's EXIF orientation is
applied.  Knowing the size first is what bounds memory: an image of more than ``max_pixels`` is
never decoded at full size.  A JPEG is decoded reduced by 2, 4 or 8 (libjpeg scales while it
decodes, so memory follows the reduced size: a 10,000 x 10,000 colour JPEG, halved, peaks at
150 MB over what the interpreter held, against 580 MB at full size); any other format over the
limit is an :class:`ImageTooLargeError` before decoding, as a small PNG of zeros can claim a
gigapixel.

Damage: OpenCV's C decoders print their complaints (libjpeg's "Corrupt JPEG data", libpng's
"libpng error") on the process's stderr; here they are caught and become part of the error or an
:class:`ImageDecodeWarning`.  A file that ends early (a broken download) is an
:class:`InputDecodeError`, never a partial image: OpenCV 4.14 refuses a JPEG cut short, and older
4.x's grey-filled image (libjpeg's "Premature end of JPEG file") is refused too, so the result does
not depend on the OpenCV version.  Damaged data inside a complete file, which libjpeg gets past,
gives the image with an :class:`ImageDecodeWarning`.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import struct
import sys
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Optional, Union

import numpy as np

from ..errors import InputDecodeError, InputNotFoundError, MissingExtraError, UnsupportedFormatError, UsageError

ImageSource = Union[str, Path, bytes, bytearray, np.ndarray]
MAX_PIXELS = 40_000_000  # a 48-pixel face crop needs far less; 40 MP keeps a full-size decode near 120 MB
FORMATS = "JPEG, PNG, WebP, BMP, GIF or TIFF"
_EXTENSIONS = {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".bmp", ".dib", ".gif", ".tif", ".tiff"}
_MAGIC = ((b"\xff\xd8\xff", "JPEG"), (b"\x89PNG\r\n\x1a\n", "PNG"), (b"GIF87a", "GIF"), (b"GIF89a", "GIF"),
          (b"BM", "BMP"), (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"))
# what the C decoders print; other lines caught while decoding (another thread's) are passed on
_DECODER_LINE = re.compile(r"JPEG|PNG|TIFF|GIF|WebP|BMP|Huffman|marker|imgcodecs|grfmt|loadsave", re.I)
_STDERR = threading.Lock()


class ImageTooLargeError(UsageError):
    """The image has more than ``max_pixels`` and cannot be decoded reduced (for the HTTP server: a 413)."""

    def __init__(self, label: str, width: int, height: int, max_pixels: int, why: str):
        super().__init__(f"{label}: {width}x{height} pixels is over the limit of {max_pixels / 1e6:g} megapixels "
                         f"({why}); downscale it first or raise max_pixels")
        self.max_pixels = max_pixels


class ImageDecodeWarning(UserWarning):
    """The decoder got past damaged data; the image may show it."""


def read_image(source: ImageSource, *, name: Optional[str] = None, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """The image as uint8 grey (H, W) or RGB (H, W, 3), reduced when over ``max_pixels`` (see
    :func:`read_image_scaled` for the factor that maps it back).  ``name``: what messages call the
    source (an upload's file name; by default the path)."""
    image, _, damage = _read(source, name, max_pixels)
    if damage:
        warnings.warn(damage, ImageDecodeWarning, stacklevel=2)
    return image


def read_image_scaled(source: ImageSource, *, name: Optional[str] = None,
                      max_pixels: int = MAX_PIXELS) -> tuple[np.ndarray, float]:
    """The image and the factor from its pixels to the original's (1.0 unless a JPEG over
    ``max_pixels`` was decoded reduced), so boxes found on it can be given in the original's
    pixels.  Arrays are taken as they are (they are already in memory): RGB or grey as scikit-image
    and Pillow give them, RGBA loses its alpha, floats in [0, 1] become uint8."""
    image, factor, damage = _read(source, name, max_pixels)
    if damage:
        warnings.warn(damage, ImageDecodeWarning, stacklevel=2)
    return image, factor


def _read(source: ImageSource, name: Optional[str], max_pixels: int) -> tuple[np.ndarray, float, Optional[str]]:
    """The image, its factor, and what the decoder said about damage it got past."""
    label = _label(source, name)
    if max_pixels < 1:
        raise UsageError(f"max_pixels must be positive, not {max_pixels}")
    if isinstance(source, np.ndarray):
        return _from_array(source, label), 1.0, None
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise InputNotFoundError(f"{label}: no such file")
        if path.is_dir():
            raise UsageError(f"{label}: is a folder, not an image file")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputNotFoundError(f"{label}: cannot be opened ({exc.strerror or exc})") from None
    else:
        raise UsageError(f"{label}: expected a path, bytes or an array, not {type(source).__name__}")
    return _decode(data, label, max_pixels)


def to_grey(image: np.ndarray) -> np.ndarray:
    """(H, W) uint8, what the detector and the 48 x 48 models see (ITU-R 601 luma, as FER2013's)."""
    image = _from_array(image, "<image array>")
    return image if image.ndim == 2 else _cv2().cvtColor(image, _cv2().COLOR_RGB2GRAY)


def _cv2():
    try:
        import cv2
    except ImportError as exc:
        raise MissingExtraError("reading images", "image", exc) from None
    return cv2


def _label(source, name: Optional[str]) -> str:
    if name:
        return str(name)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "<image bytes>"
    return os.fspath(source) if isinstance(source, (str, os.PathLike)) else "<image array>"


def _from_array(image, label: str) -> np.ndarray:
    if not isinstance(image, np.ndarray):
        raise UsageError(f"{label}: expected a numpy array, not {type(image).__name__}")
    if image.ndim == 3 and image.shape[2] in (1, 4):
        image = image[:, :, 0] if image.shape[2] == 1 else image[:, :, :3]
    if not (image.ndim == 2 or image.ndim == 3 and image.shape[2] == 3) or image.size == 0:
        raise UsageError(f"{label}: expected an image of shape (H, W), (H, W, 3) or (H, W, 4), not {image.shape}")
    if image.dtype == np.uint8:
        return image
    if image.dtype.kind == "f" and np.isfinite(image).all() and image.min() >= 0 and image.max() <= 1:
        return np.rint(image * 255).astype(np.uint8)
    raise UsageError(f"{label}: expected uint8 pixels or floats in [0, 1], not {image.dtype} "
                     f"from {image.min()} to {image.max()}")


def _decode(data: bytes, label: str, max_pixels: int) -> tuple[np.ndarray, float, Optional[str]]:
    kind = _format(data, label)
    size = _dimensions(kind, data)
    if not size or min(size) < 1:
        raise InputDecodeError(f"{label}: damaged {kind} (its header is cut short or invalid)")
    width, height = size
    factor = 1
    if width * height > max_pixels:
        if kind != "JPEG":
            raise ImageTooLargeError(label, width, height, max_pixels, "only JPEG can be decoded reduced")
        factor = next((f for f in (2, 4, 8) if math.ceil(width / f) * math.ceil(height / f) <= max_pixels), 0)
        if not factor:
            raise ImageTooLargeError(label, width, height, max_pixels, "even reduced 8 times")
    cv2 = _cv2()
    reduce = {1: 0, 2: cv2.IMREAD_REDUCED_GRAYSCALE_2, 4: cv2.IMREAD_REDUCED_GRAYSCALE_4,
              8: cv2.IMREAD_REDUCED_GRAYSCALE_8}[factor]
    with _decoder_messages() as messages:  # ANYCOLOR: grey files stay grey, colour comes as BGR
        try:
            image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_ANYCOLOR | reduce)
        except cv2.error as exc:  # e.g. over OpenCV's own limit (CV_IO_MAX_IMAGE_PIXELS)
            messages.append(str(exc).strip().splitlines()[-1])
            image = None
    if image is None or any("Premature end" in m for m in messages):
        raise InputDecodeError(f"{label}: {_why(kind, data, messages)}")
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB, dst=image)
    damage = f"{label}: {'; '.join(messages)}" if messages else None
    return image, max(width, height) / max(image.shape[:2]), damage  # max: EXIF orientation may swap sides


def _format(data: bytes, label: str) -> str:
    """The format from the first bytes; an error naming the problem for anything not decoded here."""
    if not data:
        raise InputDecodeError(f"{label}: empty file")
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    try:
        text = data[:1024].decode("utf-8")
    except UnicodeDecodeError as exc:
        text = data[:exc.start].decode("utf-8") if exc.start > 1020 else None  # cut inside a character
    if text is not None and not re.search(r"[\x00-\x08\x0e-\x1f]", text):
        raise InputDecodeError(f"{label}: not an image (the file holds text)")
    if Path(label).suffix.lower() in _EXTENSIONS:
        raise InputDecodeError(f"{label}: damaged or not an image (it does not start like a {FORMATS} file)")
    raise UnsupportedFormatError(f"{label}: not an image emoscope reads ({FORMATS})")


def _dimensions(kind: str, data: bytes) -> Optional[tuple[int, int]]:
    """(width, height) from the header, without decoding; None when the header is cut short."""
    try:
        if kind == "PNG":
            return struct.unpack(">II", data[16:24]) if data[12:16] == b"IHDR" else None
        if kind == "GIF":
            return struct.unpack("<HH", data[6:10])
        if kind == "BMP":  # a 12-byte header is OS/2's, with 16-bit sides; a negative height is top-down
            os2 = struct.unpack("<I", data[14:18])[0] == 12
            width, height = struct.unpack("<HH", data[18:22]) if os2 else struct.unpack("<ii", data[18:26])
            return abs(width), abs(height)
        if kind == "WEBP" and len(data) >= 30:  # lossy, lossless and extended keep the sides three ways
            bits = int.from_bytes(data[21:25], "little")
            return {b"VP8 ": (data[26] | (data[27] & 0x3F) << 8, data[28] | (data[29] & 0x3F) << 8),
                    b"VP8L": ((bits & 0x3FFF) + 1, (bits >> 14 & 0x3FFF) + 1),
                    b"VP8X": (int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1),
                    }.get(data[12:16])
        if kind == "TIFF":  # ImageWidth (256) and ImageLength (257) in the first directory
            endian = "little" if data[:2] == b"II" else "big"
            start = int.from_bytes(data[4:8], endian)
            sides = {}
            for at in range(start + 2, start + 2 + 12 * int.from_bytes(data[start:start + 2], endian), 12):
                tag, form = int.from_bytes(data[at:at + 2], endian), int.from_bytes(data[at + 2:at + 4], endian)
                if tag in (256, 257):  # a SHORT (3) or a LONG
                    sides[tag] = int.from_bytes(data[at + 8:at + (10 if form == 3 else 12)], endian)
            return (sides[256], sides[257]) if len(sides) == 2 else None
        return _jpeg_size(data) if kind == "JPEG" else None
    except struct.error:
        return None


def _jpeg_size(data: bytes) -> Optional[tuple[int, int]]:
    """The frame header's size (SOF0-15 but DHT, JPG and DAC), walking the segments before it."""
    i = 2
    while i + 9 <= len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
        elif marker == 0x01 or 0xD0 <= marker <= 0xD7:  # no length
            i += 2
        elif 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        elif marker in (0xD9, 0xDA):  # end of image, or a scan before any frame header
            return None
        else:
            i += 2 + struct.unpack(">H", data[i + 2:i + 4])[0]
    return None


def _why(kind: str, data: bytes, messages: list[str]) -> str:
    """Why OpenCV gave no image: a file that ends early says so, anything else quotes the decoder."""
    ends = {"JPEG": data.rstrip(b"\0").endswith(b"\xff\xd9"), "PNG": b"IEND" in data[-16:],
            "GIF": data.rstrip(b"\0").endswith(b";")}.get(kind, True)
    if not ends or any("Premature end" in m or "incomplete" in m for m in messages):
        return f"truncated {kind} (the file ends before the image data does)"
    return f"damaged {kind}, OpenCV cannot decode it" + (f" ({'; '.join(messages)})" if messages else "")


@contextlib.contextmanager
def _decoder_messages():
    """A list that, after the block, holds the lines the C decoders printed on stderr while it ran.
    They print on file descriptor 2, which no Python redirection reaches, so the descriptor itself
    is pointed at a temporary file meanwhile, under a lock as it is the whole process's."""
    messages: list[str] = []
    with _STDERR, tempfile.TemporaryFile() as sink:
        try:
            saved = os.dup(2)
        except OSError:  # no stderr at all: nothing to keep quiet
            saved = None
        if sys.stderr is not None:
            sys.stderr.flush()
        try:
            if saved is not None:
                os.dup2(sink.fileno(), 2)
            yield messages
        finally:
            if saved is not None:
                os.dup2(saved, 2)
                os.close(saved)
        sink.seek(0)
        for line in filter(None, map(str.strip, sink.read().decode("utf-8", "replace").splitlines())):
            if _DECODER_LINE.search(line):
                messages.append(line)
            else:  # another thread's output, caught by chance
                os.write(2, (line + "\n").encode())
