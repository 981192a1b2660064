"""HTTP API and web page: ``emoscope serve``.

Every error, malformed JSON included, is a JSON body ``{"error": {"code", "message", ...}}``
(codes: :mod:`emoscope.serve.errors`); limits on body size, texts per request, characters per
text, the cost of word-level evidence, the size and length of a speech upload
(:mod:`emoscope.serve.speech`) and the size of an image upload (:mod:`emoscope.serve.faces`) are
configurable through :class:`ServeSettings`.
``/docs`` is a self-contained page built from the OpenAPI document (nothing loads from a CDN).
"""

from __future__ import annotations

import asyncio
import json
import os
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional, Union

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import ERROR_CLASSES, EmoscopeError, ModelLoadError
from ..faces.image import MAX_PIXELS
from ..persistence import Task
from ..taxonomy import BUILTIN_ROLLUPS, default_rollups, load_rollup
from ..text.model import AUTO_LANGUAGE, EmotionModel, check_language
from ..version import __version__
from .batching import MicroBatcher
from .docs import render_docs
from .errors import ERROR_CODES, APIError, JSONBodyRoute, error_response, error_responses
from .explaining import Explainer, check_explain_cost
from .faces import FACE_ERROR_CODES, FACE_UPLOAD_SCHEMA, FaceResponse, FaceService
from .speech import SPEECH_ERROR_CODES, SPEECH_UPLOAD_SCHEMA, SpeechResponse, SpeechService

STATIC_DIR = Path(__file__).parent / "static"
SETTINGS_ENV = "EMOSCOPE_SERVE_SETTINGS"


@dataclass
class ServeSettings:
    model: Optional[str] = None
    # the language the texts are read as (a model trained on several languages): a code, or
    # "auto" (each text as the language the model detects); None: the model's shared thresholds
    language: Optional[str] = None
    num_threads: Optional[int] = None
    # Texts per model run inside a micro-batch; None: the model's own (config.json ``batch_size``),
    # which keeps a client's result independent of other clients' texts (see text/encoder.py).
    model_batch_size: Optional[int] = None
    max_texts: int = 64
    max_chars: int = 10_000
    max_body_bytes: int = 1_000_000
    # explain: words per text, and model runs (encoder windows: (words + 1) x windows per text)
    # per request; 100 runs took 2.4 s (short sentences) to 4.1 s (full windows) on 2 busy cores
    max_explain_words: int = 100
    max_explain_runs: int = 100
    batching: bool = True
    max_batch: int = 64
    max_wait_ms: float = 5.0
    # speech (POST /v1/speech): the model (None: the shipped speech-whisper-tiny), loaded on the
    # first speech request; the largest upload in bytes and the longest recording in seconds
    speech_model: Optional[str] = None
    max_audio_bytes: int = 20_000_000
    max_audio_seconds: float = 600.0
    # faces (POST /v1/face): the model (None: the shipped face-ferplus), loaded on the first face
    # request; the largest upload in bytes, and the most pixels decoded (a JPEG over it is decoded
    # reduced, another image refused; 40 MP decode in about 120 MB)
    face_model: Optional[str] = None
    max_image_bytes: int = 10_000_000
    max_image_pixels: int = MAX_PIXELS


class BodySizeLimit:
    """ASGI middleware: refuse bodies over ``max_bytes`` with 413, whether declared in
    Content-Length or streamed in chunks (the body is read up to the limit, then replayed).
    Paths in ``exempt`` (uploads, which count their own bytes as they stream) pass through."""

    def __init__(self, app, max_bytes: int, exempt: tuple[str, ...] = ()):
        self.app, self.max_bytes, self.exempt = app, max_bytes, frozenset(exempt)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("path") in self.exempt:
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            return await self._refuse(scope, receive, send)
        if declared is not None or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # client went away
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                return await self._refuse(scope, receive, send)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope, receive, send):
        response = error_response(413, "body_too_large",
                                  f"request body is larger than {self.max_bytes} bytes")
        await response(scope, receive, send)


RollupField = Union[str, dict[str, list[str]]]


def model_reading(state, language: str) -> EmotionModel:
    """The served model reading ``language`` (a request's): 422 for a model that cannot read it
    (``check_language``: it keeps no language, or cannot detect one for "auto") and for a code it
    does not know (where ``for_language`` would warn and keep the shared thresholds)."""
    base = state.base_model
    if language not in state.languages:
        try:
            check_language(base.name, base.files, language)
        except ModelLoadError as error:
            raise APIError(422, "language_unsupported", str(error)) from None
        if language != AUTO_LANGUAGE and language not in base.language_thresholds:
            raise APIError(422, "unknown_language", f"model {base.name!r} has no language {language!r}; it "
                                                    f"knows {', '.join(sorted(base.language_thresholds))}")
        state.languages[language] = base.for_language(language)
    return state.languages[language]


class AnalyzeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"texts": ["Thank you so much, you made my day!", "I can't believe they cancelled it."],
         "rollups": ["ekman", "sentiment"], "top_k": 3},
        {"texts": ["What a lovely surprise"], "rollups": [{"good": ["joy", "surprise"], "bad": ["anger"]}]},
    ]})

    texts: list[str] = Field(..., min_length=1, description="Texts to analyse.")
    rollups: Optional[list[RollupField]] = Field(
        None, description="Built-in rollup names (ekman, sentiment) or inline mappings {category: [labels]}; "
                          "default: ekman and sentiment when the model has the GoEmotions labels.")
    top_k: int = Field(5, ge=1, le=100, description="How many top labels to list per text.")
    scores: bool = Field(True, description="Include a score for every label.")
    explain: bool = Field(False, description="Word-level evidence: for each predicted emotion, every word's "
                                             "signed weight and character offsets (one model run per word).")
    language: Optional[str] = Field(
        None, description="A model trained on several languages (GET /healthz lists its languages): the "
                          "language code the texts are read as, or 'auto' (each text as the language the "
                          "model detects); default: the server's --language.")


def create_app(settings: Optional[ServeSettings] = None) -> FastAPI:
    settings = settings or ServeSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        model = EmotionModel.load(settings.model, num_threads=settings.num_threads,
                                  batch_size=settings.model_batch_size)
        app.state.languages = {}  # code -> the model reading it (for a request's language)
        app.state.base_model = model
        model = model.for_language(settings.language) if settings.language else model
        batcher = MicroBatcher(model.predict, max_batch=settings.max_batch,
                               max_wait_ms=settings.max_wait_ms, enabled=settings.batching)
        await batcher.start()
        explainer = Explainer(settings.max_explain_words)
        app.state.model, app.state.batcher, app.state.explainer = model, batcher, explainer
        app.state.speech = SpeechService(settings)  # loads its model on the first speech request
        app.state.faces = FaceService(settings)  # and this one on the first face request
        yield
        await asyncio.to_thread(explainer.shutdown)  # stops explanations still running
        await batcher.stop()

    app = FastAPI(title="emoscope", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Fine-grained emotion recognition for text (GoEmotions labels, "
                              "Ekman and sentiment rollups), for speech (an uploaded recording's "
                              "emotion and its timeline) and for faces (each face of an uploaded image, "
                              "its box and its expression).")
    app.router.route_class = JSONBodyRoute  # bodies are checked to be JSON before FastAPI reads them

    @app.exception_handler(APIError)
    async def _api_error(request: Request, exc: APIError):
        return error_response(exc.status, exc.code, exc.message, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        details = [{"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", "")),
                    "type": str(e.get("type", ""))} for e in exc.errors()]
        malformed = any(d["type"] == "json_invalid" for d in details)
        return error_response(422, "malformed_json" if malformed else "invalid_request",
                              "the body is not valid JSON" if malformed
                              else "the request does not match the schema", details=details)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        return error_response(exc.status_code, "http_error", str(exc.detail))

    @app.exception_handler(EmoscopeError)
    async def _emoscope_error(request: Request, exc: EmoscopeError):
        return error_response(422, exc.code(), str(exc))

    @app.exception_handler(Exception)  # the traceback still goes to the log
    async def _internal_error(request: Request, exc: Exception):
        return error_response(500, "internal_error", "unexpected error in the server; its log has the details")

    @app.get("/healthz", summary="Liveness and model information")
    async def healthz(request: Request):
        model, batcher, speech = request.app.state.model, request.app.state.batcher, request.app.state.speech
        faces = request.app.state.faces
        return {"status": "ok", "model": model.name, "labels": len(model.labels),
                "batching": settings.batching, "version": __version__,
                "model_batches": batcher.batches_run, "texts_analysed": batcher.texts_run,
                "explanations_cancelled": request.app.state.explainer.cancelled,
                # null until the first speech request loads it
                "speech_model": speech.model.name if speech.model is not None else None,
                "recordings_analysed": speech.recordings,
                "face_model": faces.model.name if faces.model is not None else None,  # null until loaded
                "images_analysed": faces.images,
                # a model trained on several languages: the codes a request's language may take
                "languages": sorted(request.app.state.base_model.language_thresholds),
                "detects_language": request.app.state.base_model.files.language_id is not None,
                "language": settings.language}

    @app.get("/v1/labels", summary="The model's labels and the built-in rollups")
    async def labels(request: Request):
        model = request.app.state.model
        return {"model": model.name, "labels": model.labels,
                "rollups": {name: load_rollup(name).to_dict()["mapping"] for name in BUILTIN_ROLLUPS}}

    def limit_values() -> dict:
        return {k: v for k, v in asdict(settings).items() if k.startswith("max_")}

    @app.get("/v1/limits", summary="Request limits of this server")
    async def limits():
        return limit_values()

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    async def docs():
        class_codes = {cls.code(): cls.summary for cls in (EmoscopeError, *ERROR_CLASSES)}
        return render_docs(app.openapi(), ERROR_CODES, class_codes, limit_values())

    @app.post("/v1/analyze", summary="Emotions of a list of texts", responses=error_responses(413, 415, 422),
              description="Send JSON (content-type application/json). With explain, a request may take "
                          "at most max_explain_words words per text and max_explain_runs model runs "
                          "(GET /v1/limits).")
    async def analyze(body: AnalyzeRequest, request: Request):
        model = request.app.state.model
        if len(body.texts) > settings.max_texts:
            raise APIError(413, "too_many_texts",
                           f"{len(body.texts)} texts; at most {settings.max_texts} per request")
        for i, text in enumerate(body.texts):
            if len(text) > settings.max_chars:
                raise APIError(413, "text_too_long",
                               f"text {i} has {len(text)} characters; at most {settings.max_chars}",
                               index=i)
        if body.language is not None:
            model = model_reading(request.app.state, body.language)
        if body.explain and (not isinstance(model, EmotionModel) or model.task == Task.REGRESSION):
            raise APIError(422, "explain_unsupported",
                           f"model {model.name!r} does not provide word-level evidence")
        rollups = []
        for spec in default_rollups(model.labels) if body.rollups is None else body.rollups:
            if isinstance(spec, str) and spec not in BUILTIN_ROLLUPS:
                raise APIError(422, "unknown_rollup",
                               f"unknown rollup {spec!r}; use {', '.join(BUILTIN_ROLLUPS)} or a mapping")
            rollup = load_rollup(spec)
            rollup.check_labels(model.labels)
            rollups.append(rollup)
        if body.explain:  # before any model work (tokenizing only, off the event loop)
            await asyncio.to_thread(check_explain_cost, model, body.texts,
                                    settings.max_explain_words, settings.max_explain_runs)
        if body.language is None:
            results = await request.app.state.batcher.submit(body.texts)
        else:  # another language's thresholds: outside the micro-batches (a text's scores do not depend on them)
            results = await asyncio.to_thread(model.predict, body.texts)
        evidence = None
        if body.explain:  # one model run per word of each text, stopped if the client leaves
            evidence = await request.app.state.explainer.explain(request, model, body.texts)
        out = []
        for i, result in enumerate(results):
            item = result.to_dict(rollups)
            if evidence is not None:
                item["evidence"] = evidence[i]
            item["top"] = [[label, round(score, 6)] for label, score in result.top(body.top_k)]
            if not body.scores:
                item.pop("scores")
            out.append(item)
        return {"model": model.name, "results": out}

    @app.post("/v1/speech", summary="Emotion in the voice of a recording, with its timeline",
              responses={200: {"model": SpeechResponse, "description": "The recording's emotion and timeline."},
                         **error_responses(413, 415, 422, 501, codes=SPEECH_ERROR_CODES, note_422=(
                             "input_decode_error: the file is empty, damaged, truncated or not audio."))},
              openapi_extra={"requestBody": {"required": True, "content": {
                  "multipart/form-data": {"schema": {"$ref": "#/components/schemas/SpeechUpload"}}}}},
              description="Send the recording as multipart/form-data in a file field named file "
                          "(curl -F file=@clip.wav). At most max_audio_bytes bytes and max_audio_seconds "
                          "seconds (GET /v1/limits). The speech model is loaded on the first request.")
    async def speech(request: Request):
        return await request.app.state.speech.analyse(request)

    @app.post("/v1/face", summary="The faces in an image and the expression of each",
              responses={200: {"model": FaceResponse, "description": "The image's size and its faces."},
                         **error_responses(413, 415, 422, 501, codes=FACE_ERROR_CODES, note_422=(
                             "input_decode_error: the file is empty, damaged, truncated or not an image."))},
              openapi_extra={"requestBody": {"required": True, "content": {
                  "multipart/form-data": {"schema": {"$ref": "#/components/schemas/FaceUpload"}}}}},
              description="Send the image as multipart/form-data in a file field named file "
                          "(curl -F file=@photo.jpg). At most max_image_bytes bytes and max_image_pixels pixels "
                          "(GET /v1/limits): a JPEG over that is decoded reduced, another image refused. Boxes are in the image's "
                          "pixels; an image without faces answers faces: []. The face model is loaded on "
                          "the first request.")
    async def face(request: Request):
        return await request.app.state.faces.analyse(request)

    generated_openapi = app.openapi

    def openapi():  # FastAPI's document (cached), plus the uploads' schemas, which no route's model declares
        schema = generated_openapi()
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas.setdefault("SpeechUpload", SPEECH_UPLOAD_SCHEMA)
        schemas.setdefault("FaceUpload", FACE_UPLOAD_SCHEMA)
        return schema

    app.openapi = openapi

    @app.get("/", include_in_schema=False)
    async def index():
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return BodySizeLimit(app, settings.max_body_bytes, exempt=("/v1/speech", "/v1/face")) if settings.max_body_bytes else app


def app_from_env():
    """Factory for ``uvicorn --factory`` (used with several workers)."""
    raw = os.environ.get(SETTINGS_ENV)
    return create_app(ServeSettings(**json.loads(raw)) if raw else ServeSettings())
