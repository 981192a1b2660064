"""The real server on a loopback port: endpoints, limits, errors, batching, shutdown, fuzzing."""

import ast
import concurrent.futures
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.helpers import chromium_binary, headless_chromium, needs_chromium

httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

THANKS = "Thank you so much, you made my day!"
LIMITS = ["--max-texts", "8", "--max-chars", "300", "--max-body-bytes", "20000",
          "--max-explain-words", "40", "--max-explain-runs", "100"]
SNAKE = re.compile(r"[a-z]+(_[a-z]+)*")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, *args, env=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "emoscope", "serve", "--port", str(self.port), "--threads", "2", *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})})
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(self.proc.stdout.read().decode())
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.proc.kill()  # not left running after the test gives up on it
        raise RuntimeError("server did not start within 60 s:\n" + self.proc.communicate()[0].decode())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.stdout.read().decode()


@pytest.fixture(scope="module")
def server():
    s = Server(*LIMITS)
    yield s
    s.stop()


def post(server, payload=None, **kwargs):
    if payload is not None:
        kwargs["json"] = payload
    kwargs.setdefault("timeout", 60)
    return httpx.post(server.url + "/v1/analyze", **kwargs)


def assert_error(response, status, code=None):
    assert response.status_code == status, response.text
    body = response.json()
    assert "message" in body["error"]
    if code:
        assert body["error"]["code"] == code, body


def test_health_labels_openapi(server):
    health = httpx.get(server.url + "/healthz").json()
    assert health["status"] == "ok" and health["labels"] == 28
    labels = httpx.get(server.url + "/v1/labels").json()
    assert len(labels["labels"]) == 28 and "gratitude" in labels["rollups"]["ekman"]["joy"]
    limits = httpx.get(server.url + "/v1/limits").json()
    assert limits["max_texts"] == 8 and limits["max_explain_words"] == 40 and limits["max_explain_runs"] == 100
    spec = httpx.get(server.url + "/openapi.json").json()
    assert "/v1/analyze" in spec["paths"] and "/healthz" in spec["paths"]
    assert "examples" in spec["components"]["schemas"]["AnalyzeRequest"]
    body = spec["paths"]["/v1/analyze"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"] == "#/components/schemas/AnalyzeRequest"
    assert {"413", "415", "422"} <= set(spec["paths"]["/v1/analyze"]["post"]["responses"])


def test_docs_page_needs_nothing_from_elsewhere(server):
    response = httpx.get(server.url + "/docs")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    outside = [u for u in re.findall(r"(?:https?:)?//[^\s\"'<>)]+", page) if not u.startswith(server.url)]
    assert outside == [], outside
    for needed in ("/v1/analyze", "AnalyzeRequest", "/openapi.json", "unsupported_media_type",
                   "explain_too_costly", "taxonomy_error", "top_k"):
        assert needed in page, needed
    assert httpx.get(server.url + "/redoc").status_code == 404  # Redoc too came from a CDN


def test_analyze(server):
    response = post(server, {"texts": [THANKS, "   "], "top_k": 2})
    assert response.status_code == 200, response.text
    first, empty = response.json()["results"]
    assert "gratitude" in first["labels"] and "joy" in first["ekman"]["labels"]
    assert len(first["top"]) == 2 and len(first["scores"]) == 28
    assert empty["empty"] is True and empty["labels"] == ["neutral"]
    custom = post(server, {"texts": [THANKS], "rollups": [{"good": ["gratitude"], "bad": ["anger"]}],
                           "scores": False}).json()["results"][0]
    assert custom["custom"]["labels"] == ["good"] and "scores" not in custom


@pytest.mark.parametrize("payload,status,code", [
    ({"texts": ["hi"] * 9}, 413, "too_many_texts"),
    ({"texts": ["x" * 301]}, 413, "text_too_long"),
    ({"texts": []}, 422, "invalid_request"),
    ({"texts": "not a list"}, 422, "invalid_request"),
    ({"texts": [1, 2]}, 422, "invalid_request"),
    ({"text": ["hi"]}, 422, "invalid_request"),
    ({"texts": ["hi"], "top_k": 0}, 422, "invalid_request"),
    ({"texts": ["hi"], "rollups": ["plutchik"]}, 422, "unknown_rollup"),
    ({"texts": ["hi"], "rollups": [{"x": ["happiness"]}]}, 422, "taxonomy_error"),
    ({"texts": ["hi"], "language": "deu"}, 422, "language_unsupported"),  # an English-only model
    ([1, 2, 3], 422, "invalid_request"),
])
def test_request_errors(server, payload, status, code):
    assert_error(post(server, payload), status, code)


def test_explain_gives_word_evidence_with_offsets(server):
    text = "I am so angry at you, this is outrageous!"
    [item] = post(server, {"texts": [text], "explain": True}).json()["results"]
    anger = item["evidence"]["anger"]
    best = max(anger, key=lambda w: w["weight"])
    assert text[best["start"]:best["end"]] == best["word"] == "angry"


def test_malformed_and_oversized_bodies(server):
    assert_error(post(server, content=b'{"texts": [bro', headers={"content-type": "application/json"}),
                 422, "malformed_json")
    assert_error(post(server, content=b"\xff\xfe garbage", headers={"content-type": "application/json"}), 422)
    big = json.dumps({"texts": ["y" * 100] * 300}).encode()
    assert_error(post(server, content=big, headers={"content-type": "application/json"}), 413, "body_too_large")

    def chunks():  # no Content-Length: the limit applies to the streamed body
        for _ in range(30):
            yield b" " * 1000
    assert_error(post(server, content=chunks(), headers={"content-type": "application/json"}),
                 413, "body_too_large")
    assert_error(httpx.get(server.url + "/v1/analyze"), 405)
    assert_error(httpx.get(server.url + "/nope"), 404)


JSON = {"content-type": "application/json"}


@pytest.mark.parametrize("content,fragment", [
    (b'{"texts": ["caf\xe9"]}', "UTF-8"),  # Latin-1, not UTF-8
    (b'{"texts": ["\xed\xa0\x80"]}', "UTF-8"),  # an encoded surrogate
    (b"[" * 5000 + b"]" * 5000, "nested"),
    (b'{"texts": [' + b"[" * 5000 + b"]" * 5000 + b"]}", "nested"),
])
def test_bodies_that_are_not_json_are_malformed_json(server, content, fragment):
    response = post(server, content=content, headers=JSON)
    assert_error(response, 422, "malformed_json")
    assert fragment in response.json()["error"]["message"]


@pytest.mark.parametrize("headers,kwargs", [
    ({}, {"content": json.dumps({"texts": ["hi"]}).encode()}),  # no content-type
    ({}, {"data": {"texts": "hi"}}),  # curl -d: application/x-www-form-urlencoded
    ({"content-type": "text/plain"}, {"content": b"texts=hi"}),
    ({"content-type": "text/plain"}, {"content": json.dumps({"texts": ["hi"]}).encode()}),
])
def test_bodies_that_are_not_sent_as_json_are_unsupported_media_type(server, headers, kwargs):
    response = post(server, headers=headers, **kwargs)
    assert_error(response, 415, "unsupported_media_type")
    assert "application/json" in response.json()["error"]["message"]


def test_json_with_a_charset_or_a_json_subtype_is_accepted(server):
    for content_type in ("application/json; charset=utf-8", "application/vnd.api+json"):
        response = post(server, content=json.dumps({"texts": [THANKS]}).encode(),
                        headers={"content-type": content_type})
        assert response.status_code == 200, (content_type, response.text)


def emitted_codes():
    """Every error code that the serve package's source passes to APIError or error_response."""
    from emoscope import serve

    codes = set()
    for path in Path(serve.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("APIError", "error_response")
                    and len(node.args) > 1 and isinstance(node.args[1], ast.Constant)):
                codes.add(node.args[1].value)
    return codes


def test_every_error_code_is_snake_case_and_listed(server):
    from emoscope.errors import ERROR_CLASSES, EmoscopeError
    from emoscope.serve.errors import ERROR_CODES

    emitted = emitted_codes()
    assert len(emitted) >= 10 and emitted <= set(ERROR_CODES), emitted - set(ERROR_CODES)
    codes = set(ERROR_CODES) | {cls.code() for cls in (EmoscopeError, *ERROR_CLASSES)}
    assert all(SNAKE.fullmatch(code) for code in codes), sorted(codes)
    assert {"taxonomy_error", "input_decode_error", "malformed_json"} <= codes
    page = httpx.get(server.url + "/docs").text
    assert all(code in page for code in codes), [c for c in codes if c not in page]


def test_explain_limits_refuse_costly_requests_before_any_model_work(server):
    before = httpx.get(server.url + "/healthz").json()["texts_analysed"]
    words = " ".join(["fine"] * 41)
    response = post(server, {"texts": ["ok", words], "explain": True})
    assert_error(response, 413, "explain_too_many_words")
    error = response.json()["error"]
    assert error["index"] == 1 and "41 words" in error["message"] and "40" in error["message"]
    sentence = " ".join(["good"] * 29) + " day"  # 30 words, one window: 31 model runs
    assert post(server, {"texts": [sentence] * 3, "explain": True}).status_code == 200  # 93 runs
    response = post(server, {"texts": [sentence] * 4, "explain": True})  # 124 runs
    assert_error(response, 413, "explain_too_costly")
    assert "124" in response.json()["error"]["message"] and "100" in response.json()["error"]["message"]
    assert post(server, {"texts": [words] * 8}).status_code == 200  # the limits are explain's only
    after = httpx.get(server.url + "/healthz").json()["texts_analysed"]
    assert after - before == 3 + 8  # the refused requests ran nothing


def test_concurrent_requests_share_batches(server):
    before = httpx.get(server.url + "/healthz").json()
    texts = [f"{THANKS} ({i})" for i in range(32)]
    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        responses = list(pool.map(lambda t: post(server, {"texts": [t]}), texts))
    assert all(r.status_code == 200 for r in responses)
    assert [r.json()["results"][0]["text"] for r in responses] == texts
    assert all("gratitude" in r.json()["results"][0]["labels"] for r in responses)
    after = httpx.get(server.url + "/healthz").json()
    assert after["texts_analysed"] - before["texts_analysed"] == 32
    assert after["model_batches"] - before["model_batches"] < 32  # requests were gathered


def test_graceful_shutdown_finishes_in_flight_requests():
    server = Server("--max-texts", "64", "--max-chars", "5000", "--max-wait-ms", "1")
    payload = {"texts": [("I waited all day and nobody came. " * 40) + str(i) for i in range(64)]}
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("response", post(server, payload)))
    thread.start()
    time.sleep(0.3)  # the request is being processed
    server.proc.send_signal(signal.SIGTERM)
    thread.join(60)
    log = server.stop()
    assert result["response"].status_code == 200, log
    assert len(result["response"].json()["results"]) == 64
    # uvicorn re-raises the signal once shut down, so the exit status is 0 or -SIGTERM
    assert server.proc.returncode in (0, -signal.SIGTERM), log
    assert "Application shutdown complete" in log


def test_fuzz_json_api_never_500(server):
    pytest.importorskip("hypothesis")
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=10)
    payloads = st.one_of(
        json_values,
        st.fixed_dictionaries({"texts": st.lists(st.text(max_size=400), max_size=10)},
                              optional={"top_k": json_values | st.integers(-5, 200),
                                        "rollups": st.lists(st.text(max_size=10) | json_values, max_size=3),
                                        "scores": json_values, "explain": st.booleans()}))

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(payloads)
    def check(payload):
        response = post(server, content=json.dumps(payload).encode(),
                        headers={"content-type": "application/json"})
        assert response.status_code < 500, (payload, response.text)
        assert isinstance(response.json(), dict)

    check()


@needs_chromium
def test_web_page_in_headless_chromium(server, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    expected = post(server, {"texts": [THANKS]}).json()["results"][0]["top"][0][0]
    driver = headless_chromium(tmp_path)
    try:
        driver.get(server.url + "/")
        driver.find_element(By.ID, "text-input").send_keys(THANKS)
        driver.find_element(By.ID, "analyze-button").click()
        WebDriverWait(driver, 30).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".result .emotion")))
        shown = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".result .emotion")]
        assert expected in shown
        top_bar = driver.find_element(By.CSS_SELECTOR, ".result .bar .label").text
        assert top_bar == expected
        assert "joy" in [e.get_attribute("data-label") for e in driver.find_elements(By.CSS_SELECTOR, ".bar.on")]
        vad = driver.find_element(By.CSS_SELECTOR, ".result .vad").text
        assert vad.startswith("valence ") and "dominance" in vad
        intensity = driver.find_elements(By.XPATH, "//h3[starts-with(., 'Intensity')]/parent::div/div")
        assert sorted(e.get_attribute("data-label") for e in intensity) == ["anger", "fear", "joy", "sadness", "surprise"]
        driver.save_screenshot(str(tmp_path / "page.png"))
    finally:
        driver.quit()


@needs_chromium
def test_bar_labels_keep_clear_of_their_bars(server, tmp_path):
    """Each label ends before its bar's track begins (bold "ambiguous" used to run into it), at
    a wide window and at the narrowest one that still shows the columns side by side."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    driver = headless_chromium(tmp_path, offline=True)
    try:
        for width in (1280, 720):
            driver.set_window_size(width, 900)
            driver.get(server.url + "/")
            driver.find_element(By.ID, "text-input").send_keys("I don't know if I should laugh or cry.")
            driver.find_element(By.ID, "analyze-button").click()
            WebDriverWait(driver, 30).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".result .emotion")))
            gaps = driver.execute_script("""
                return [...document.querySelectorAll('.result .bar')].map(bar => {
                  const range = document.createRange();
                  range.selectNodeContents(bar.querySelector('.label'));
                  const track = bar.querySelector('.track').getBoundingClientRect();
                  return [bar.dataset.label, track.left - range.getBoundingClientRect().right, track.width];
                });""")
            assert "ambiguous" in [label for label, _, _ in gaps]
            crowded = [(label, gap, track) for label, gap, track in gaps if gap < 4 or track < 20]
            assert crowded == [], (width, crowded)
        driver.get(server.url + "/docs")  # the API documentation works with no network at all
        assert "/v1/analyze" in driver.find_element(By.TAG_NAME, "h1").text + driver.page_source
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == [], errors
    finally:
        driver.quit()


def test_a_multilingual_model_served_reads_each_texts_language(tmp_path):
    """``serve --model semeval-multilingual-e5 --language auto``: each text is read as the language
    the model detects (``for_language("auto")``); a request's ``language`` (and the page's language
    menu) reads its texts as another; a model that cannot read languages stops the command before
    the server starts."""
    from emoscope.text.model import EmotionModel
    from tests.helpers import run_cli

    model = EmotionModel.load("semeval-multilingual-e5")
    texts = ["Ich hasse dich! Du hast alles ruiniert, ich bin so wütend!", "I am so happy today, we won!"]
    # a Swedish text read as German: other thresholds and TF-IDF head, other labels than detected
    swedish = "Jag är så glad och tacksam, men också lite rädd för framtiden."
    as_german = model.for_language("deu").predict(swedish)
    assert as_german.labels != model.for_language("auto").predict(swedish).labels
    server = Server("--model", "semeval-multilingual-e5", "--language", "auto")
    try:
        response = post(server, {"texts": texts})
        assert response.status_code == 200, response.text
        german, english = response.json()["results"]
        assert "anger" in german["labels"] and "joy" in english["labels"]
        health = httpx.get(server.url + "/healthz").json()
        assert len(health["languages"]) == 28 and health["detects_language"] and health["language"] == "auto"
        read_as = post(server, {"texts": [swedish], "language": "deu"}).json()["results"][0]
        assert read_as["scores"] == pytest.approx(as_german.scores, abs=1e-6)
        assert tuple(read_as["labels"]) == as_german.labels
        assert_error(post(server, {"texts": [swedish], "language": "xx"}), 422, "unknown_language")
        if chromium_binary() and shutil.which("chromedriver"):  # the page's language menu too
            _choose_a_language_on_the_page(server, tmp_path, swedish, "deu", as_german.labels)
    finally:
        server.stop()

    expected = model.for_language("deu").predict(texts[0]).labels
    assert tuple(german["labels"]) == expected
    refused = run_cli("serve", "--language", "auto", "--port", str(free_port()))
    assert refused.returncode == 7 and "no per-language thresholds" in refused.stderr, refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


def _choose_a_language_on_the_page(server, tmp_path, text, language, expected):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait

    driver = headless_chromium(tmp_path)
    try:
        driver.get(server.url + "/")
        WebDriverWait(driver, 30).until(EC.visibility_of_element_located((By.ID, "language-input")))
        menu = Select(driver.find_element(By.ID, "language-input"))
        assert [o.get_attribute("value") for o in menu.options][:3] == ["", "auto", "afr"]
        menu.select_by_value(language)
        driver.find_element(By.ID, "text-input").send_keys(text)
        driver.find_element(By.ID, "analyze-button").click()
        WebDriverWait(driver, 60).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".result .predicted")))
        shown = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".result .emotion")]
        assert tuple(shown) == tuple(expected)
    finally:
        driver.quit()
