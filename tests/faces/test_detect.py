"""Image input and face detection on real faces: FER+ test crops pasted into larger pictures (as
faces in photos are larger than FER2013's 48 pixels), scikit-image's astronaut photo, and broken
or huge files made here from real images."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import emoscope
from emoscope.errors import InputDecodeError, InputNotFoundError, UnsupportedFormatError, UsageError
from emoscope.faces.detect import FaceBox, crop_face, crop_faces, detect_faces
from emoscope.faces.image import (ImageDecodeWarning, ImageTooLargeError, read_image, read_image_scaled,
                                  to_grey)
from tests.helpers import DATASETS, needs

cv2 = pytest.importorskip("cv2")

FERPLUS = DATASETS / "faces" / "ferplus"
NOT_A_FACE = 9  # the votes' last column


@pytest.fixture(scope="module")
def faces():
    """The first FER+ test crops that no annotator called "not a face"."""
    split = np.load(needs(FERPLUS / "test.npz"))
    return split["images"][split["votes"][:, NOT_A_FACE] == 0][:200]


def background(rng, height, width):
    """Blurred noise at three scales: texture at every size, as in a photo, with no face in it."""
    noise = [rng.random((height // s + 1, width // s + 1)).astype(np.float32) for s in (2, 8, 32)]
    layers = [cv2.resize(cv2.GaussianBlur(n, (0, 0), 1.5), (width, height)) for n in noise]
    total = sum(layers)
    return np.rint(255 * (total - total.min()) / np.ptp(total)).astype(np.uint8)


def pasted(face, rng, height=360, width=480):
    """The crop enlarged 3-4 times at a random spot of a picture, and where it went."""
    side = int(48 * rng.uniform(3, 4))
    big = cv2.resize(face, (side, side), interpolation=cv2.INTER_CUBIC)
    frame = background(rng, height, width)
    x, y = int(rng.integers(0, width - side)), int(rng.integers(0, height - side))
    frame[y:y + side, x:x + side] = big
    return np.dstack([frame] * 3), FaceBox(x, y, side, side)


def correlation(a, b):
    return float(np.corrcoef(a.ravel().astype(float), b.ravel().astype(float))[0, 1])


def test_pasted_faces_are_found_where_they_are_and_cut_back_out(faces):
    rng = np.random.default_rng(20)
    found, elsewhere, crops = 0, 0, []
    for face in faces[:40]:
        image, truth = pasted(face, rng)
        boxes = detect_faces(image)
        elsewhere += sum(box.iou(truth) < 0.1 for box in boxes)
        hits = [box for box in boxes if box.iou(truth) >= 0.5]
        if hits:
            found += 1
            crops.append(correlation(crop_face(image, hits[0]), face))
    # measured on these 40: 20 found, 3 false faces in the noise; on 120: 58% found, 0.1 false a
    # picture (FER+ valid in scikit-image's photos: 54-59% found, 0.02-0.05 false a picture)
    assert found >= 15 and elsewhere <= 6
    assert np.median(crops) > 0.65  # 0.79: the crop frames the face as FER2013 did


def test_the_astronaut_photo_has_one_face_where_hers_is():
    data = pytest.importorskip("skimage.data")
    image = data.astronaut()
    boxes = detect_faces(image)
    assert len(boxes) == 1
    assert boxes[0].iou(FaceBox(180, 70, 88, 92)) > 0.6  # Eileen Collins, hairline to chin, by eye
    assert detect_faces(to_grey(image)) == boxes


def test_no_face_in_blank_noise_or_tiny_images():
    assert detect_faces(np.zeros((480, 640, 3), np.uint8)) == []
    assert detect_faces(np.full((300, 300), 255, np.uint8)) == []
    assert detect_faces(np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)) == []
    assert detect_faces(np.zeros((5, 5), np.uint8)) == []


def test_crop_faces_batches_and_edges(faces):
    image, truth = pasted(faces[0], np.random.default_rng(1))
    crops = crop_faces(image, [truth, FaceBox(-20, -20, 60, 60)], margin=0)
    assert crops.shape == (2, 48, 48) and crops.dtype == np.uint8
    assert correlation(crops[0], faces[0]) > 0.95  # the exact spot gives the crop back
    assert crop_faces(image, []).shape == (0, 48, 48)
    assert crop_face(image, truth, side=64).shape == (64, 64)
    with pytest.raises(UsageError):
        crop_face(image, FaceBox(5000, 5000, 10, 10))


def test_face_box():
    a, b = FaceBox(0, 0, 10, 10), FaceBox(5, 0, 10, 10)
    assert a.iou(b) == pytest.approx(50 / 150) and a.iou(a) == 1 and a.iou(FaceBox(20, 20, 5, 5)) == 0
    assert a.to_dict() == {"x": 0, "y": 0, "width": 10, "height": 10} and b.as_tuple() == (5, 0, 10, 10)
    assert FaceBox(3, 5, 7, 9).scaled(2.0) == FaceBox(6, 10, 14, 18)


def test_read_image_gives_rgb_or_grey_from_files_bytes_and_arrays(tmp_path, faces):
    rgb = np.zeros((20, 30, 3), np.uint8)
    rgb[..., 0] = 200  # red
    path = tmp_path / "visage é.png"  # not ASCII: read through Python, not OpenCV's own open
    cv2.imwrite(str(tmp_path / "x.png"), rgb[..., ::-1])  # OpenCV writes BGR
    path.write_bytes((tmp_path / "x.png").read_bytes())
    assert np.array_equal(read_image(path), rgb)
    assert np.array_equal(read_image(str(path)), rgb) and np.array_equal(read_image(path.read_bytes()), rgb)
    grey = cv2.imencode(".png", faces[0])[1].tobytes()
    assert np.array_equal(read_image(grey), faces[0])
    assert np.array_equal(read_image(np.dstack([rgb, np.zeros((20, 30), np.uint8)])), rgb)  # RGBA
    assert np.array_equal(read_image(rgb / 255.0), rgb)
    assert to_grey(rgb).shape == (20, 30)
    for bad in (rgb.astype(np.uint16), rgb * 1.0, np.zeros((0, 3), np.uint8), np.zeros((4, 4, 2), np.uint8)):
        with pytest.raises(UsageError):
            read_image(bad)


def test_bad_files_are_clear_errors(tmp_path, capfd):
    text = tmp_path / "face.jpg"
    text.write_text("not a photo\n")
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "blob.xyz").write_bytes(bytes(range(256)))
    with pytest.raises(InputDecodeError, match=r"face\.jpg: not an image"):
        read_image(text)
    with pytest.raises(InputDecodeError, match="empty file"):
        read_image(tmp_path / "empty.jpg")
    with pytest.raises(UnsupportedFormatError):
        read_image(tmp_path / "blob.xyz")
    with pytest.raises(InputNotFoundError):
        read_image(tmp_path / "missing.jpg")
    with pytest.raises(UsageError, match="folder"):
        read_image(tmp_path)
    assert capfd.readouterr().err == ""


def test_a_truncated_file_is_an_error_and_damage_inside_a_warning_with_nothing_on_stderr(tmp_path, capfd):
    blocks = np.random.default_rng(2).integers(0, 256, (3, 8, 8), np.uint8)
    photo = np.dstack([cv2.resize(b, (256, 256)) for b in blocks])  # smooth colour, as a photo's
    jpeg = cv2.imencode(".jpg", photo)[1].tobytes()
    png = cv2.imencode(".png", photo)[1].tobytes()
    for name, cut in (("cut.jpg", jpeg[:len(jpeg) // 2]), ("cut.png", png[:len(png) // 2])):
        (tmp_path / name).write_bytes(cut)
        with pytest.raises(InputDecodeError, match=rf"{name}: truncated"):
            read_image(tmp_path / name)
    damaged = bytearray(jpeg)
    for i in range(len(jpeg) // 3, len(jpeg) - 10, 97):
        damaged[i] ^= 0x55
    with pytest.warns(ImageDecodeWarning, match="damaged.jpg: Corrupt JPEG data"):
        image = read_image(bytes(damaged), name="damaged.jpg")
    assert image.shape == photo.shape
    assert capfd.readouterr().err == ""  # libjpeg's and libpng's own messages did not get through


BIG = 10_000


@pytest.fixture(scope="module")
def huge_jpeg(tmp_path_factory, faces):
    """A 10,000 x 10,000 grey JPEG with a face of 2,000 pixels at (6000, 3000): the first FER+ test
    crop that the detector finds at an ordinary size."""
    face = next(f for f in faces[:40] if detect_faces(pasted(f, np.random.default_rng(4))[0]))
    image = np.asarray(cv2.resize(background(np.random.default_rng(3), 1000, 1000), (BIG, BIG)))
    image[3000:5000, 6000:8000] = cv2.resize(face, (2000, 2000), interpolation=cv2.INTER_CUBIC)
    path = tmp_path_factory.mktemp("huge") / "huge.jpg"
    cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, 80])
    return path


def test_a_huge_jpeg_is_decoded_reduced_and_its_face_found_in_the_original_pixels(huge_jpeg):
    image, factor = read_image_scaled(huge_jpeg)
    assert image.shape == (5000, 5000) and factor == 2.0  # 100 MP over 40: libjpeg halves it
    assert read_image_scaled(huge_jpeg, max_pixels=2_000_000)[0].shape == (1250, 1250)
    boxes = [box.scaled(factor) for box in detect_faces(image)]
    assert any(box.iou(FaceBox(6000, 3000, 2000, 2000)) > 0.5 for box in boxes)


MEASURE = """
import re, sys, cv2
from emoscope.faces.image import read_image

def mb(key):
    return int(re.search(key + r":\\s+(\\d+)", open("/proc/self/status").read())[1]) // 1024

open("/proc/self/clear_refs", "w").write("5")  # the peak (VmHWM) starts again from what is in use
before = mb("VmRSS")
try:
    read_image(sys.argv[1])
except Exception as exc:
    print(type(exc).__name__)
print(mb("VmHWM") - before)
"""


@pytest.mark.skipif(not os.access("/proc/self/clear_refs", os.W_OK), reason="needs Linux's /proc/self/clear_refs")
def test_huge_images_keep_memory_bounded(huge_jpeg, tmp_path):
    """Peak memory in a fresh interpreter over what it held before reading: the JPEG decoded
    reduced, a PNG of 100 MP of zeros (100 KB on disk) refused before decoding."""
    bomb = tmp_path / "bomb.png"
    cv2.imwrite(str(bomb), np.zeros((BIG, BIG), np.uint8))
    env = {**os.environ, "PYTHONPATH": str(Path(emoscope.__file__).parents[1]), "OMP_NUM_THREADS": "1"}
    grown = {}
    for path in (huge_jpeg, bomb):
        out = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True, check=True,
                             env=env, timeout=120)
        grown[path.suffix] = out.stdout.split()
    assert int(grown[".jpg"][-1]) < 80  # MB; 56 measured; the full 100 MP would take 100 MB for its pixels alone
    assert grown[".png"][0] == "ImageTooLargeError" and int(grown[".png"][-1]) < 20
    with pytest.raises(ImageTooLargeError):
        read_image(bomb)
