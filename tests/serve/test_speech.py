"""POST /v1/speech on the real server on a loopback port, with real clips of the shared datasets:
results, limits, bad uploads, a fuzz that never gets a 500, and the web page's timeline."""

import io
import os
import sys
import time

import numpy as np
import pytest

from tests.helpers import DATASETS, headless_chromium, needs, needs_chromium
from tests.serve.test_app import Server, assert_error

httpx = pytest.importorskip("httpx")
sf = pytest.importorskip("soundfile")
pytest.importorskip("python_multipart")

SPEECH = DATASETS / "speech"
ANGRY = "ravdess/Actor_19/03-01-05-02-01-01-19.ogg"  # RAVDESS: Actor 19, angry, strong intensity


def default_speech_model():
    from emoscope.persistence import resolve_model_dir
    from emoscope.speech.model import DEFAULT_MODEL

    directory = resolve_model_dir(None, DEFAULT_MODEL)
    if not (directory / "model.onnx").is_file():
        pytest.skip(f"the shipped speech model is not in {directory}")
    return directory


@pytest.fixture(scope="module")
def labels():
    from emoscope.persistence import read_labels

    return list(read_labels(default_speech_model()))


@pytest.fixture(scope="module")
def clip():
    return needs(SPEECH / ANGRY)


@pytest.fixture(scope="module")
def server():
    default_speech_model()
    s = Server()
    yield s
    log = s.stop()
    assert "Traceback" not in log, log


@pytest.fixture(scope="module")
def small_server(tmp_path_factory):
    """Small limits, and no ffmpeg on the PATH: only libsndfile's formats decode."""
    default_speech_model()
    empty = tmp_path_factory.mktemp("no-ffmpeg")
    s = Server("--max-audio-bytes", "100000", "--max-audio-seconds", "2", env={"PATH": str(empty)})
    yield s
    log = s.stop()
    assert "Traceback" not in log, log


def upload(server, content, name="clip.wav", content_type="audio/wav", **kwargs):
    kwargs.setdefault("timeout", 120)
    return httpx.post(server.url + "/v1/speech", files={"file": (name, content, content_type)}, **kwargs)


def wav_bytes(samples, rate, subtype="PCM_16"):
    out = io.BytesIO()
    sf.write(out, samples, rate, format="WAV", subtype=subtype)
    return out.getvalue()


def test_a_ravdess_clip_gets_its_timeline(server, clip, labels):
    assert httpx.get(server.url + "/healthz").json()["speech_model"] is None  # loaded on the first request
    start = time.perf_counter()
    response = upload(server, clip.read_bytes(), name=clip.name, content_type="audio/ogg")
    took = time.perf_counter() - start
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["source"] == clip.name and result["model"] == "speech-whisper-tiny"
    assert abs(result["duration"] - sf.info(str(clip)).duration) < 0.05
    assert not result["empty"] and result["segments"]
    assert set(result["scores"]) == set(labels) and result["labels"][0] in labels
    assert result["top_label"] == result["labels"][0] == max(result["scores"], key=result["scores"].get)
    for segment in result["segments"]:
        assert 0 <= segment["start"] < segment["end"] <= result["duration"] + 0.01
        assert segment["top_label"] in labels and set(segment["scores"]) == set(labels)
    health = httpx.get(server.url + "/healthz").json()
    assert health["speech_model"] == "speech-whisper-tiny" and health["recordings_analysed"] >= 1
    assert took < 30, took


def test_a_wav_at_44k_stereo_made_here_works(server, clip, labels):
    from emoscope.speech.audio import read_audio

    voice = read_audio(clip)  # 16 kHz mono
    times = np.arange(int(len(voice) * 44100 / 16000)) * 16000 / 44100
    at44 = np.interp(times, np.arange(len(voice)), voice)
    stereo = np.stack([at44, 0.5 * at44], axis=1).astype(np.float32)
    response = upload(server, wav_bytes(stereo, 44100), name="stereo 44k.wav")
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["source"] == "stereo 44k.wav"
    assert abs(result["duration"] - len(stereo) / 44100) < 0.01
    assert result["segments"] and result["labels"][0] in labels


def test_silence_is_an_empty_neutral_result(server):
    result = upload(server, wav_bytes(np.zeros(32000, np.float32), 16000), name="silence.wav").json()
    assert result["empty"] is True and result["segments"] == [] and result["labels"] == ["neutral"]
    assert result["duration"] == 2.0


@pytest.mark.parametrize("name,content,fragment", [
    ("notes.wav", b"These are my notes, not a recording.\n" * 20, "not audio"),
    ("empty.wav", b"", "empty"),
    ("half.flac", None, "truncated"),  # the first half of a FLAC file
    ("noise.bin", bytes(range(256)) * 8, ""),  # binary, no format's header
])
def test_uploads_that_are_not_audio_are_422_input_decode_error(server, clip, name, content, fragment):
    if content is None:
        out = io.BytesIO()
        sf.write(out, np.random.default_rng(1).normal(0, 0.1, 16000).astype(np.float32), 16000, format="FLAC")
        content = out.getvalue()[:len(out.getvalue()) // 2]
    response = upload(server, content, name=name)
    assert_error(response, 422, "input_decode_error")
    message = response.json()["error"]["message"]
    assert message.startswith(name.split(".")[0]) and fragment in message, message


def test_requests_that_are_not_an_upload(server):
    url = server.url + "/v1/speech"
    response = httpx.post(url, files={"audio": ("clip.wav", b"RIFF")})  # no field named file
    assert_error(response, 422, "invalid_request")
    assert "'file'" in response.json()["error"]["message"]
    assert response.json()["error"]["details"][0]["loc"] == ["body", "file"]
    assert_error(httpx.post(url, data={"file": "clip.wav"}, files={"other": ("x", b"y")}), 422, "invalid_request")
    assert_error(httpx.post(url), 415, "unsupported_media_type")  # no body at all
    assert_error(httpx.post(url, json={"file": "clip.wav"}), 415, "unsupported_media_type")
    assert_error(httpx.post(url, content=b"no boundary in sight", headers={"content-type": "multipart/form-data; boundary=x"}),
                 422, "malformed_multipart")
    assert_error(httpx.post(url, content=b"data", headers={"content-type": "multipart/form-data"}),
                 422, "malformed_multipart")  # no boundary
    assert_error(httpx.get(url), 405)


def test_limits_are_listed_and_documented(small_server):
    limits = httpx.get(small_server.url + "/v1/limits").json()
    assert limits["max_audio_bytes"] == 100_000 and limits["max_audio_seconds"] == 2
    spec = httpx.get(small_server.url + "/openapi.json").json()
    operation = spec["paths"]["/v1/speech"]["post"]
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert {"200", "413", "415", "422", "501"} <= set(operation["responses"])
    assert "SpeechUpload" in spec["components"]["schemas"] and "SpeechResponse" in spec["components"]["schemas"]
    page = httpx.get(small_server.url + "/docs").text
    for needed in ("/v1/speech", "audio_too_large", "audio_too_long", "speech_unavailable", "multipart/form-data"):
        assert needed in page, needed


def test_an_upload_over_max_audio_bytes_is_413(small_server):
    noise = np.random.default_rng(0).normal(0, 0.1, 80_000).astype(np.float32)  # 160 kB as PCM_16
    response = upload(small_server, wav_bytes(noise, 16000))
    assert_error(response, 413, "audio_too_large")
    assert "100000" in response.json()["error"]["message"]

    def chunks():  # no Content-Length: counted while it arrives, refused long before its 3 MB end
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.wav"\r\n\r\n'
        for _ in range(300):
            yield bytes(10_000)
        yield b"\r\n--b--\r\n"
    response = httpx.post(small_server.url + "/v1/speech", content=chunks(), timeout=60,
                          headers={"content-type": "multipart/form-data; boundary=b"})
    assert_error(response, 413, "audio_too_large")
    # the limit is the file's: exactly max_audio_bytes is read (and found not to be audio), one more is not
    at_limit = upload(small_server, b"x" * 100_000, name="at-limit.wav")
    assert_error(at_limit, 422, "input_decode_error")
    assert_error(upload(small_server, b"x" * 100_001, name="over.wav"), 413, "audio_too_large")


def test_a_recording_over_max_audio_seconds_is_413(small_server, clip):
    before = httpx.get(small_server.url + "/healthz").json()["recordings_analysed"]
    response = upload(small_server, clip.read_bytes(), name=clip.name)  # 4 s, 18 kB
    assert_error(response, 413, "audio_too_long")
    error = response.json()["error"]
    assert "2 s" in error["message"] and error["max_seconds"] == 2
    short = wav_bytes(np.zeros(16000, np.float32), 16000)
    assert upload(small_server, short).status_code == 200  # 1 s: under the limit
    assert httpx.get(small_server.url + "/healthz").json()["recordings_analysed"] == before + 1


def test_a_format_nothing_decodes_is_415(small_server):
    # no ffmpeg on that server's PATH: binary data with no header libsndfile knows
    response = upload(small_server, bytes(range(256)) * 8, name="talk.m4a", content_type="audio/mp4")
    assert_error(response, 415, "unsupported_media_type")
    assert "ffmpeg" in response.json()["error"]["message"]


def test_without_the_audio_extra_speech_is_501_and_text_still_works(tmp_path, clip):
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "soundfile.py").write_text("raise ImportError('soundfile is blocked for this test')\n")
    path = os.pathsep.join([str(blocker), *sys.path])  # the server's own imports, soundfile blocked
    s = Server(env={"PYTHONPATH": path})
    try:
        response = upload(s, clip.read_bytes(), name=clip.name)
        assert_error(response, 501, "speech_unavailable")
        error = response.json()["error"]
        assert "pip install soundfile" in error["message"] and error["missing"] == ["soundfile"]
        assert httpx.post(s.url + "/v1/analyze", json={"texts": ["Thank you!"]}).status_code == 200
        assert httpx.get(s.url + "/healthz").json()["speech_model"] is None
    finally:
        log = s.stop()
    assert "Traceback" not in log, log


def test_fuzz_uploads_never_500(server, clip):
    pytest.importorskip("hypothesis")
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    real = clip.read_bytes()
    headers = [b"", b"RIFF\x24\x00\x00\x00WAVEfmt ", b"OggS\x00\x02", b"fLaC\x00\x00\x00\x22", b"ID3\x04\x00",
               b"\xff\xfb\x90\x64", b"FORM\x00\x00\x00\x00AIFF"]
    contents = st.one_of(
        st.binary(max_size=4096),
        st.tuples(st.sampled_from(headers), st.binary(max_size=2048)).map(lambda t: t[0] + t[1]),
        st.integers(0, len(real)).map(lambda n: real[:n]),  # a real clip cut anywhere
        st.tuples(st.integers(0, len(real) - 1), st.binary(min_size=1, max_size=64)).map(
            lambda t: real[:t[0]] + t[1] + real[t[0] + len(t[1]):]),  # a real clip with bytes overwritten
    )
    names = st.text(max_size=40) | st.sampled_from(["clip.wav", "a.mp3", "x.ogg", "y.flac", "z.m4a", "..", ""])
    content_types = st.sampled_from(["audio/wav", "audio/ogg", "text/plain", "application/octet-stream",
                                     "image/png", "audio/*", "nonsense"])

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(contents, names, content_types)
    def check(content, name, content_type):
        response = upload(server, content, name=name, content_type=content_type)
        assert response.status_code < 500, (name, content[:32], response.text)
        body = response.json()
        assert isinstance(body, dict) and ("error" in body) == (response.status_code >= 400)

    check()


@needs_chromium
def test_web_page_uploads_a_recording_and_shows_its_timeline(server, clip, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    expected = upload(server, clip.read_bytes(), name=clip.name).json()
    driver = headless_chromium(tmp_path, offline=True)
    try:
        driver.set_window_size(1100, 900)
        driver.get(server.url + "/")
        audio_input = driver.find_element(By.ID, "audio-input")
        assert audio_input.get_attribute("accept") == "audio/*"
        audio_input.send_keys(str(clip))
        WebDriverWait(driver, 60).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".timeline .segment")))
        rows = driver.find_elements(By.CSS_SELECTOR, ".timeline .segment")
        assert len(rows) == len(expected["segments"])
        for row, segment in zip(rows, expected["segments"]):
            assert row.get_attribute("data-label") == segment["top_label"]
            span = row.find_element(By.CSS_SELECTOR, ".label").text
            assert span == f"{segment['start']:.1f}–{segment['end']:.1f} s"
            assert row.find_element(By.CSS_SELECTOR, ".value").text.startswith(segment["top_label"])
            width = row.find_element(By.CSS_SELECTOR, ".fill").value_of_css_property("width")
            assert float(width.rstrip("px")) > 0
        assert driver.find_element(By.CSS_SELECTOR, ".speech .emotion").text == expected["top_label"]
        assert clip.name in driver.find_element(By.CSS_SELECTOR, ".speech h2").text
        assert "segment" in driver.find_element(By.ID, "speech-status").text
        driver.save_screenshot(str(tmp_path / "speech.png"))
        # a file that is not audio: the error is shown, not a timeline
        notes = tmp_path / "notes.wav"
        notes.write_text("not a recording\n" * 10)
        driver.find_element(By.ID, "audio-input").send_keys(str(notes))
        WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "speech-status").text.startswith("Error"))
        assert "not audio" in driver.find_element(By.ID, "speech-status").text
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"
                  and "/v1/speech" not in e["message"]]  # the 422 itself is logged as a failed request
        assert errors == [], errors
    finally:
        driver.quit()
