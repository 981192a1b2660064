"""POST /v1/face on the real server on a loopback port, with a real face of FER+ test pasted into a
photo made here: boxes, faces and no faces, limits, bad uploads, a fuzz that never gets a 500, and
the web page's boxes."""

import os
import struct
import sys
import zlib

import numpy as np
import pytest

from tests.helpers import DATASETS, headless_chromium, needs, needs_chromium, run_cli
from tests.serve.test_app import Server, assert_error

httpx = pytest.importorskip("httpx")
cv2 = pytest.importorskip("cv2")
pytest.importorskip("python_multipart")

FERPLUS_TEST = DATASETS / "faces" / "ferplus" / "test.npz"
FACE = "fer0032231.png"  # FER+ test: nine of ten voters say happiness
FRAME = (480, 640)  # the photo's height and width
SPOT = (300, 140, 192, 192)  # where the face is pasted: x, y, width, height (the 48x48 crop x4)


def default_face_model():
    from emoscope.faces.model import DEFAULT_MODEL
    from emoscope.persistence import resolve_model_dir

    directory = resolve_model_dir(None, DEFAULT_MODEL)
    if not (directory / "model.onnx").is_file():
        pytest.skip(f"the shipped face model is not in {directory}")
    return directory


@pytest.fixture(scope="module")
def labels():
    from emoscope.persistence import read_labels

    return list(read_labels(default_face_model()))


@pytest.fixture(scope="module")
def server():
    default_face_model()
    s = Server()
    yield s
    log = s.stop()
    assert "Traceback" not in log, log


@pytest.fixture(scope="module")
def small_server():
    default_face_model()
    s = Server("--max-image-bytes", "200000", "--max-image-pixels", "1000000")
    yield s
    log = s.stop()
    assert "Traceback" not in log, log


@pytest.fixture(scope="module")
def photo():
    """A grey 640x480 photo with one real face (a FER+ test crop, upscaled x4) at :data:`SPOT`."""
    arrays = np.load(needs(FERPLUS_TEST))
    crop = arrays["images"][list(arrays["names"]).index(FACE)]
    x, y, w, h = SPOT
    frame = np.full(FRAME, 128, np.uint8)
    frame[y:y + h, x:x + w] = cv2.resize(crop, (w, h), interpolation=cv2.INTER_CUBIC)
    return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)


def encode(image, ext=".png") -> bytes:
    ok, data = cv2.imencode(ext, image)
    assert ok
    return data.tobytes()


def upload(server, content, name="photo.png", content_type="image/png", **kwargs):
    kwargs.setdefault("timeout", 120)
    return httpx.post(server.url + "/v1/face", files={"file": (name, content, content_type)}, **kwargs)


def overlap(a, b) -> float:
    """Intersection over union of two (x, y, width, height) boxes."""
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


@pytest.mark.parametrize("ext", [".png", ".jpg"])
def test_a_photo_with_a_face_gets_its_box(server, photo, labels, ext):
    name = "face" + ext
    response = upload(server, encode(photo, ext), name=name, content_type="image/" + ext[1:])
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["model"] == "face-ferplus" and result["source"] == name
    assert (result["height"], result["width"]) == FRAME
    assert result["faces"], result
    best = max(result["faces"], key=lambda f: overlap(SPOT, tuple(f["box"].values())))
    assert list(best["box"]) == ["x", "y", "width", "height"]
    assert overlap(SPOT, tuple(best["box"].values())) > 0.5, (best["box"], SPOT)
    assert best["top_label"] == "happiness" and best["top_score"] > 0.8, best  # the model reads it (0.996)
    for face in result["faces"]:
        assert face["labels"] == [face["top_label"]] and face["top_label"] in labels
        assert set(face["scores"]) == set(labels) and abs(sum(face["scores"].values()) - 1) < 1e-3
        assert face["top_label"] == max(face["scores"], key=face["scores"].get)
    health = httpx.get(server.url + "/healthz").json()
    assert health["face_model"] == "face-ferplus" and health["images_analysed"] >= 1


def test_a_jpeg_over_max_image_pixels_is_decoded_reduced_and_answered_in_its_own_pixels(small_server, photo):
    """The photo scaled x3 (1920x1440, 2.8 MP) on a server that decodes at most 1 MP: the JPEG is
    decoded halved, its size and box come back in the upload's pixels; as a PNG it is refused."""
    big = cv2.resize(photo, (FRAME[1] * 3, FRAME[0] * 3), interpolation=cv2.INTER_LINEAR)
    response = upload(small_server, encode(big, ".jpg"), name="big.jpg", content_type="image/jpeg")
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["height"], result["width"]) == (FRAME[0] * 3, FRAME[1] * 3)
    spot = tuple(v * 3 for v in SPOT)
    best = max(result["faces"], key=lambda f: overlap(spot, tuple(f["box"].values())))
    assert overlap(spot, tuple(best["box"].values())) > 0.5 and best["top_label"] == "happiness", result["faces"]
    response = upload(small_server, encode(big[:800, :1600]), name="big.png")  # 1.3 MP, 60 kB
    assert_error(response, 413, "image_too_large")
    error = response.json()["error"]
    assert error["max_pixels"] == 1_000_000 and "1600x800" in error["message"], error


def test_a_photo_without_faces_is_200_with_no_faces(server):
    blank = np.full((300, 400, 3), 200, np.uint8)
    response = upload(server, encode(blank), name="wall.png")
    assert response.status_code == 200, response.text
    assert response.json() == {"model": "face-ferplus", "source": "wall.png", "width": 400, "height": 300,
                               "faces": []}


@pytest.mark.parametrize("name,image", [
    ("dot.png", np.zeros((1, 1), np.uint8)),
    ("strip.png", np.full((2, 3000, 3), 90, np.uint8)),
    ("alpha.png", np.full((60, 80, 4), 255, np.uint8)),
    ("deep.png", np.full((60, 80), 40000, np.uint16)),
    ("grey.jpg", np.full((60, 80), 30, np.uint8)),
])
def test_tiny_odd_and_unusual_images_have_no_faces(server, name, image):
    response = upload(server, encode(image, name[-4:]), name=name)
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["height"], result["width"]) == image.shape[:2] and result["faces"] == []


@pytest.mark.parametrize("name,content", [
    ("notes.png", b"These are my notes, not a photo.\n" * 20),
    ("empty.jpg", b""),
    ("half.png", None),  # the first half of a PNG file
    ("noise.png", bytes(range(256)) * 8),  # binary, no format's header, named as an image
])
def test_uploads_that_are_not_images_are_422_input_decode_error(server, photo, name, content):
    if content is None:
        whole = encode(photo)
        content = whole[:len(whole) // 2]
    response = upload(server, content, name=name)
    assert_error(response, 422, "input_decode_error")
    assert response.json()["error"]["message"].startswith(name + ":")


def test_binary_in_no_format_and_not_named_as_an_image_is_415(server):
    response = upload(server, bytes(range(256)) * 8, name="noise.bin", content_type="application/octet-stream")
    assert_error(response, 415, "unsupported_media_type")
    assert "JPEG" in response.json()["error"]["message"]


def test_requests_that_are_not_an_upload(server):
    url = server.url + "/v1/face"
    response = httpx.post(url, files={"image": ("photo.png", b"\x89PNG")})  # no field named file
    assert_error(response, 422, "invalid_request")
    assert "'file'" in response.json()["error"]["message"] and "photo.jpg" in response.json()["error"]["message"]
    assert_error(httpx.post(url, data={"file": "photo.png"}, files={"other": ("x", b"y")}), 422, "invalid_request")
    response = httpx.post(url)  # no body at all
    assert_error(response, 415, "unsupported_media_type")
    assert "image" in response.json()["error"]["message"]
    assert_error(httpx.post(url, content=b"\x89PNG", headers={"content-type": "image/png"}), 415,
                 "unsupported_media_type")
    assert_error(httpx.post(url, json={"file": "photo.png"}), 415, "unsupported_media_type")
    assert_error(httpx.post(url, content=b"no boundary in sight",
                            headers={"content-type": "multipart/form-data; boundary=x"}), 422, "malformed_multipart")
    assert_error(httpx.get(url), 405)


def test_limits_are_listed_and_documented(small_server):
    limits = httpx.get(small_server.url + "/v1/limits").json()
    assert limits["max_image_bytes"] == 200_000 and limits["max_image_pixels"] == 1_000_000
    spec = httpx.get(small_server.url + "/openapi.json").json()
    operation = spec["paths"]["/v1/face"]["post"]
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert {"200", "413", "415", "422", "501"} <= set(operation["responses"])
    assert "image_too_large" in operation["responses"]["413"]["description"]
    assert "image_too_large" not in spec["paths"]["/v1/analyze"]["post"]["responses"]["413"]["description"]
    assert {"FaceUpload", "FaceResponse"} <= set(spec["components"]["schemas"])
    page = httpx.get(small_server.url + "/docs").text
    for needed in ("/v1/face", "image_too_large", "faces_unavailable", "FaceResponse"):
        assert needed in page, needed


def test_an_upload_over_max_image_bytes_is_413(small_server):
    noise = np.random.default_rng(0).integers(0, 256, (300, 300, 3), dtype=np.uint8)  # 270 kB as PNG
    response = upload(small_server, encode(noise))
    assert_error(response, 413, "image_too_large")
    error = response.json()["error"]
    assert "200000 bytes (max_image_bytes)" in error["message"] and error["max_bytes"] == 200_000

    def chunks():  # no Content-Length: counted while it arrives, refused long before its 3 MB end
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.png"\r\n\r\n'
        for _ in range(300):
            yield bytes(10_000)
        yield b"\r\n--b--\r\n"
    response = httpx.post(small_server.url + "/v1/face", content=chunks(), timeout=60,
                          headers={"content-type": "multipart/form-data; boundary=b"})
    assert_error(response, 413, "image_too_large")
    # the limit is the file's: exactly max_image_bytes is read (and found not to be an image), one more is not
    assert_error(upload(small_server, b"x" * 200_000, name="at-limit.png"), 422, "input_decode_error")
    assert_error(upload(small_server, b"x" * 200_001, name="over.png"), 413, "image_too_large")


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` (its pixel data is one short row):
    what a decompression bomb looks like before it is decoded."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


def test_an_image_with_too_many_pixels_is_413_before_decoding(server):
    response = upload(server, png_claiming(60_000, 60_000), name="bomb.png")  # 3.6 GP claimed in 100 bytes
    assert_error(response, 413, "image_too_large")
    error = response.json()["error"]
    assert "60000x60000" in error["message"] and "max_image_pixels" in error["message"]
    assert error["max_pixels"] == httpx.get(server.url + "/v1/limits").json()["max_image_pixels"]


def test_without_opencv_faces_is_501_and_text_still_works(tmp_path, photo):
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "cv2.py").write_text("raise ImportError('cv2 is blocked for this test')\n")
    path = os.pathsep.join([str(blocker), *sys.path])  # the server's own imports, cv2 blocked
    s = Server(env={"PYTHONPATH": path})
    try:
        response = upload(s, encode(photo))
        assert_error(response, 501, "faces_unavailable")
        error = response.json()["error"]
        assert "pip install opencv-python-headless" in error["message"]
        assert error["missing"] == ["opencv-python-headless"]
        assert httpx.post(s.url + "/v1/analyze", json={"texts": ["Thank you!"]}).status_code == 200
        assert httpx.get(s.url + "/healthz").json()["face_model"] is None
    finally:
        log = s.stop()
    assert "Traceback" not in log, log


def test_face_model_option_takes_only_a_face_model():
    result = run_cli("serve", "--face-model", "speech-whisper-tiny", "--port", "1")
    assert result.returncode == 7 and "--face-model takes a face model" in result.stderr, result.stderr


def test_fuzz_uploads_never_500(server, photo):
    pytest.importorskip("hypothesis")
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    png, jpeg = encode(photo), encode(photo, ".jpg")
    headers = [b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"GIF89a", b"RIFF\x00\x00\x00\x00WEBPVP8 ",
               b"BM", b"II*\x00", png_claiming(70_000, 3)]
    real = st.sampled_from([png, jpeg])
    contents = st.one_of(
        st.binary(max_size=4096),
        st.tuples(st.sampled_from(headers), st.binary(max_size=2048)).map(lambda t: t[0] + t[1]),
        st.tuples(real, st.floats(0, 1)).map(lambda t: t[0][:int(len(t[0]) * t[1])]),  # cut anywhere
        st.tuples(real, st.floats(0, 1), st.binary(min_size=1, max_size=64)).map(  # bytes overwritten
            lambda t: t[0][:int((len(t[0]) - 1) * t[1])] + t[2] + t[0][int((len(t[0]) - 1) * t[1]) + len(t[2]):]),
    )
    names = st.text(max_size=40) | st.sampled_from(["photo.png", "a.jpg", "x.webp", "y.gif", "..", ""])
    content_types = st.sampled_from(["image/png", "image/jpeg", "text/plain", "application/octet-stream",
                                     "audio/wav", "image/*", "nonsense"])

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(contents, names, content_types)
    def check(content, name, content_type):
        response = upload(server, content, name=name, content_type=content_type)
        assert response.status_code < 500, (name, content[:32], response.text)
        body = response.json()
        assert isinstance(body, dict) and ("error" in body) == (response.status_code >= 400)

    check()


@needs_chromium
def test_web_page_uploads_a_photo_and_draws_its_boxes(server, photo, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    path = tmp_path / "face.png"
    path.write_bytes(encode(photo))
    expected = upload(server, path.read_bytes(), name=path.name).json()
    driver = headless_chromium(tmp_path, offline=True)
    try:
        driver.set_window_size(1100, 1400)
        driver.get(server.url + "/")
        image_input = driver.find_element(By.ID, "image-input")
        assert image_input.get_attribute("accept") == "image/*"
        image_input.send_keys(str(path))
        WebDriverWait(driver, 60).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".photo .face-box")))
        WebDriverWait(driver, 30).until(lambda d: d.execute_script(
            "const i = document.querySelector('.photo img'); return i.complete && i.naturalWidth > 0"))
        img = driver.find_element(By.CSS_SELECTOR, ".photo img")
        boxes = driver.find_elements(By.CSS_SELECTOR, ".photo .face-box")
        assert len(boxes) == len(expected["faces"])
        scale = img.size["width"] / expected["width"]  # the photo as shown
        for box, face in zip(boxes, expected["faces"]):
            assert box.get_attribute("data-label") == face["top_label"]
            dx = box.location["x"] - img.location["x"]
            dy = box.location["y"] - img.location["y"]
            assert abs(dx - face["box"]["x"] * scale) < 3 and abs(dy - face["box"]["y"] * scale) < 3
            assert abs(box.size["width"] - face["box"]["width"] * scale) < 3
        cards = driver.find_elements(By.CSS_SELECTOR, ".faces .bars")
        assert len(cards) == len(expected["faces"])
        bars = cards[0].find_elements(By.CSS_SELECTOR, ".bar")
        assert bars[0].get_attribute("data-label") == expected["faces"][0]["top_label"]
        count = len(expected["faces"])
        assert driver.find_element(By.ID, "face-status").text == f"{count} face{'' if count == 1 else 's'} found"
        driver.save_screenshot(str(tmp_path / "faces.png"))
        # a file that is not an image: the error is shown
        notes = tmp_path / "notes.png"
        notes.write_text("not a photo\n" * 10)
        driver.find_element(By.ID, "image-input").send_keys(str(notes))
        WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "face-status").text.startswith("Error"))
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"
                  and "/v1/face" not in e["message"]]  # the 422 itself is logged as a failed request
        assert errors == [], errors
    finally:
        driver.quit()
