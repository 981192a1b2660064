"""The HTTP API's errors: one table of codes, the JSON error body, and the checks that a request
body is JSON (415 when it is not sent as JSON, 422 ``malformed_json`` when it cannot be parsed).

Every error is ``{"error": {"code": ..., "message": ..., ...}}``; codes are snake_case.  Besides
:data:`ERROR_CODES`, an error emoscope raises while reading a request answers 422 with the error
class's name (``taxonomy_error``, ...: :meth:`emoscope.errors.EmoscopeError.code`).
"""

from __future__ import annotations

import email.message
import json
from typing import Any, Iterable, Optional

from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict

# code -> (HTTP status, when it is answered); /docs lists this table
ERROR_CODES: dict[str, tuple[int, str]] = {
    "body_too_large": (413, "The request body is larger than max_body_bytes."),
    "too_many_texts": (413, "More texts than max_texts in one request."),
    "text_too_long": (413, "A text is longer than max_chars characters (index: which text)."),
    "explain_too_many_words": (413, ("With explain: a text has more words than max_explain_words "
                                     "(index: which text).")),
    "explain_too_costly": (413, ("With explain: the request needs more model runs than max_explain_runs "
                                 "(each text costs (words + 1) x its encoder windows).")),
    "audio_too_large": (413, "POST /v1/speech: the upload is larger than max_audio_bytes (refused while it arrives)."),
    "audio_too_long": (413, "POST /v1/speech: the recording is longer than max_audio_seconds."),
    "image_too_large": (413, ("POST /v1/face: the upload is larger than max_image_bytes (refused while it "
                              "arrives), or an image over max_image_pixels that is no JPEG, which "
                              "would be decoded reduced (max_bytes or max_pixels: the limit).")),
    "unsupported_media_type": (415, ("The body is not sent as JSON (send it with content-type "
                                     "application/json); for POST /v1/speech and POST /v1/face, not as "
                                     "multipart/form-data, or a file in a format the server cannot decode "
                                     "(audio: neither libsndfile nor, where it has none, ffmpeg; images: "
                                     "not OpenCV).")),
    "malformed_json": (422, ("The body is not valid JSON: invalid UTF-8, a syntax error (line and "
                             "column given), or nesting too deep to parse.")),
    "invalid_request": (422, ("The JSON does not match the request schema, or a POST /v1/speech or "
                              "POST /v1/face form has no file field 'file' (details lists each problem).")),
    "malformed_multipart": (422, "POST /v1/speech, POST /v1/face: the body is not well-formed multipart/form-data."),
    "unknown_rollup": (422, "A rollup name that is not built in (use ekman, sentiment or a mapping)."),
    "explain_unsupported": (422, "The served model cannot give word-level evidence."),
    "language_unsupported": (422, ("A request's language for a model that keeps no per-language thresholds "
                                   "(or 'auto' for one that cannot detect languages).")),
    "unknown_language": (422, "A request's language that the served model does not know (GET /healthz lists them)."),
    "http_error": (404, "Unknown path (404) or method (405)."),
    "client_closed_request": (499, ("The client went away before the answer was ready; its work was "
                                    "stopped (seen only in the server's log).")),
    "internal_error": (500, "An unexpected error in the server (its log has the details)."),
    "speech_unavailable": (501, ("POST /v1/speech: this server cannot analyse speech: the audio extra "
                                 "(pip install soundfile), python-multipart, or the speech model is missing "
                                 "(missing: the packages to install).")),
    "faces_unavailable": (501, ("POST /v1/face: this server cannot analyse faces: OpenCV (the image extra, "
                                "pip install opencv-python-headless), python-multipart, or the face model "
                                "is missing (missing: the packages to install).")),
    "shutting_down": (503, "The server is shutting down and stopped this request's work."),
}


class APIError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any):
        self.status, self.code, self.message, self.extra = status, code, message, extra


def error_response(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status)


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")
    code: str
    message: str


class ErrorBody(BaseModel):
    """What every error answers (more fields, such as index or details, may follow)."""

    error: ErrorDetail


# the codes only the uploads (POST /v1/speech, POST /v1/face) answer, left out of the other
# endpoints' documented responses
UPLOAD_CODES = ("audio_too_large", "audio_too_long", "malformed_multipart", "speech_unavailable",
                "image_too_large", "faces_unavailable")


def error_responses(*statuses: int, codes: Optional[Iterable[str]] = None, note_422: Optional[str] = None) -> dict:
    """OpenAPI ``responses`` for these statuses, each with the error body and its codes: ``codes``
    when given, else every code of the table but :data:`UPLOAD_CODES`.  ``note_422``: what the 422
    says about the errors emoscope raises (their codes are the classes' names)."""
    wanted = set(codes) if codes is not None else set(ERROR_CODES) - set(UPLOAD_CODES)
    out = {status: {"model": ErrorBody, "description": "; ".join(
        f"{code}: {text.rstrip('.')}" for code, (s, text) in ERROR_CODES.items() if s == status and code in wanted)
        + "."} for status in statuses}
    if 422 in out:
        out[422]["description"] += " " + (note_422 or (
            "An error emoscope raises while reading the request answers its class's name: taxonomy_error "
            "(an inline rollup naming a label the model lacks), ..."))
    return out


def is_json_type(content_type: str | None) -> bool:
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


def check_json_body(content_type: str | None, body: bytes) -> None:
    """Raise :class:`APIError` unless the body is sent as JSON and parses as JSON (an empty body
    is left to the schema, which asks for ``texts``)."""
    if not is_json_type(content_type):
        got = f"content-type {content_type}" if content_type else "no content-type"
        raise APIError(415, "unsupported_media_type",
                       f"the body must be JSON sent with content-type application/json (got {got}); "
                       "e.g. curl -H 'content-type: application/json' -d '{\"texts\": [\"Thank you!\"]}'")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise APIError(422, "malformed_json",
                       f"the body is not valid UTF-8 (byte 0x{body[exc.start]:02x} at offset {exc.start}); "
                       "send JSON encoded as UTF-8", offset=exc.start) from None
    if not text.strip():
        return
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise APIError(422, "malformed_json",
                       f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                       line=exc.lineno, column=exc.colno) from None
    except RecursionError:
        raise APIError(422, "malformed_json",
                       "the body's JSON is nested too deeply to parse; a request is an object such as "
                       "{\"texts\": [\"...\"]}") from None


class JSONBodyRoute(APIRoute):
    """A route whose JSON body is checked by :func:`check_json_body` before FastAPI reads it (FastAPI
    answers a non-JSON body with a schema error and an undecodable one with a bare 400)."""

    def get_route_handler(self):
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def checked(request):
            check_json_body(request.headers.get("content-type"), await request.body())
            return await handler(request)

        return checked
