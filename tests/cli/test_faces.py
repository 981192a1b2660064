"""``emoscope face`` on real pictures made of FER+ test crops: faces found left to right with
their expressions, an annotated copy, and bad images as one line with their exit code."""

import json

import numpy as np
import pytest

from tests.faces.media import findable_faces, paste
from tests.helpers import assert_clean_error

cv2 = pytest.importorskip("cv2")


@pytest.fixture(scope="module")
def found():
    from emoscope import FaceEmotionModel

    return findable_faces(FaceEmotionModel.load(), labels=("happiness", "surprise"))


@pytest.fixture(scope="module")
def photo(tmp_path_factory, found):
    frame, spots = paste([found["happiness"][0], found["surprise"][0]], size=(960, 540))
    path = tmp_path_factory.mktemp("photos") / "two faces.jpg"
    cv2.imwrite(str(path), frame, [cv2.IMWRITE_JPEG_QUALITY, 92])
    return path, spots


def test_face_prints_each_face_with_its_box_and_expression(cli, photo, tmp_path):
    path, spots = photo
    result = cli("face", path, "--json", "--annotate", tmp_path / "boxed.png")
    assert result.returncode == 0, result.stderr
    [image] = json.loads(result.stdout)
    assert image["source"] == str(path) and len(image["faces"]) == 2
    for face, (x, y, w, h) in zip(image["faces"], spots):
        box = face["box"]
        assert abs(box["x"] + box["width"] / 2 - (x + w / 2)) < w / 4
        assert set(face["scores"]) == {"neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear",
                                       "contempt"}
        assert face["top_label"] == face["labels"][0]
    boxed = cv2.imread(str(tmp_path / "boxed.png"))
    original = cv2.imread(str(path))
    assert boxed.shape == original.shape and np.abs(boxed.astype(int) - original).max() > 100  # boxes drawn
    table = cli("face", path)
    assert table.returncode == 0 and "2 faces" in table.stdout and "happiness" in table.stdout


def test_a_picture_without_faces_is_an_empty_list(cli, tmp_path):
    blank = tmp_path / "wall.png"
    cv2.imwrite(str(blank), np.full((240, 320), 150, np.uint8))
    result = cli("face", blank, "--json")
    assert result.returncode == 0 and json.loads(result.stdout) == [{"source": str(blank), "faces": []}]


def test_bad_images_are_one_line_with_their_exit_code(cli, photo, tmp_path):
    text = tmp_path / "notes.jpg"
    text.write_text("this is not a picture\n")
    assert_clean_error(cli("face", text), 6, "notes.jpg")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    assert_clean_error(cli("face", empty), 6, "empty.png")
    assert_clean_error(cli("face", tmp_path / "missing.jpg"), 3, "missing.jpg")
    assert_clean_error(cli("face", photo[0], "--annotate", tmp_path / "boxed.txt"), 4, "boxed.txt")
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(photo[0].read_bytes()[:2000])
    result = cli("face", truncated, "--json")
    assert "Traceback" not in result.stderr and result.returncode in (0, 6)


def test_a_huge_picture_is_read_reduced_and_its_boxes_are_in_its_own_pixels(cli, tmp_path, found):
    frame, spots = paste([found["happiness"][0]], size=(1280, 720), scale=4)
    huge = cv2.resize(frame, (10_000, 5_625), interpolation=cv2.INTER_LINEAR)  # 56 megapixels
    path = tmp_path / "huge.jpg"
    cv2.imwrite(str(path), huge, [cv2.IMWRITE_JPEG_QUALITY, 80])
    result = cli("face", path, "--json")
    assert result.returncode == 0, result.stderr
    [face] = json.loads(result.stdout)[0]["faces"]
    factor = 10_000 / 1280
    assert abs(face["box"]["x"] + face["box"]["width"] / 2 - (spots[0][0] + spots[0][2] / 2) * factor) < 100 * factor
