"""File uploads of the HTTP API (``POST /v1/speech``, ``POST /v1/face``): one multipart reader.

Both endpoints take a ``multipart/form-data`` body with one file field, ``file`` (what a browser's
form and ``curl -F file=@...`` send), and both must refuse a large body without keeping it: the
bytes are counted while they arrive, against the file's limit plus :data:`FORM_OVERHEAD` for the
form's boundaries and headers, and the file itself against its limit.  The file part is spooled to
a temporary file past 1 MB, as Starlette does.  Each endpoint names its own 413 code and setting.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, Optional

from fastapi import Request

from ..errors import ModelLoadError
from .errors import APIError

FORM_OVERHEAD = 64 * 1024  # boundaries, part headers and a few small fields beside the file
MAX_NAME = 120  # characters of an upload's file name kept for messages and "source"


class UploadModelService:
    """The model of an upload endpoint, loaded on its first request (once, in a worker thread), so a
    server used for text only never loads it nor needs its extra.  A subclass says what it
    analyses (``what``, ``kind``), its 501 code, the pip names it lacks and how to load the model;
    a missing package or model is that 501 before the body is read."""

    what = "uploads"  # "this server cannot analyse <what>"
    kind = "upload"  # "no <kind> model"
    unavailable_code = "unavailable"
    extra_hint = ""  # after the pip command, e.g. " (the audio extra)"

    def __init__(self, settings):
        self.settings = settings
        self.model: Any = None
        self._lock = asyncio.Lock()

    async def get_model(self):
        if self.model is None:
            async with self._lock:
                if self.model is None:
                    self.model = await asyncio.to_thread(self._load)
        return self.model

    def missing_packages(self) -> list[str]:
        return []

    def load_model(self):
        raise NotImplementedError

    def _load(self):
        missing = self.missing_packages()
        if missing:
            raise APIError(501, self.unavailable_code,
                           f"this server cannot analyse {self.what}: {' and '.join(missing)} "
                           f"{'is' if len(missing) == 1 else 'are'} not installed; "
                           f"pip install {' '.join(missing)}{self.extra_hint}, then restart the server",
                           missing=missing)
        try:
            return self.load_model()
        except ModelLoadError as exc:
            raise APIError(501, self.unavailable_code,
                           f"this server cannot analyse {self.what}: no {self.kind} model ({exc})") from None


def upload_name(filename: Optional[str]) -> str:
    """The upload's file name fit for messages and a temporary file's suffix: its last path
    component, control characters dropped, at most :data:`MAX_NAME` characters and a suffix of at
    most 10 (a longer "suffix" is no format's)."""
    name = re.split(r"[/\\]", filename or "")[-1]
    name = "".join(c for c in name if c.isprintable()).strip()
    stem, dot, suffix = name.rpartition(".")
    if dot and stem and 0 < len(suffix) <= 10 and suffix.isalnum():
        return stem[:MAX_NAME - len(suffix) - 1] + "." + suffix
    return name.replace(".", "_")[:MAX_NAME] or "upload"


async def read_upload(request: Request, max_bytes: int, *, code: str, setting: str, what: str,
                      example: str) -> tuple[bytes, Optional[str]]:
    """The ``file`` field of a multipart body: its bytes and file name.  The body is refused with
    413 ``code`` as soon as it is longer than ``max_bytes`` plus :data:`FORM_OVERHEAD`, declared or
    counted while it arrives, and the file itself when it is longer than ``max_bytes`` (the limit
    ``setting`` of :class:`~emoscope.serve.app.ServeSettings`).  ``what`` and ``example`` (a file
    name) word the messages: "send the recording as ...", "curl -F file=@clip.wav"."""
    from starlette.formparsers import MultiPartException, MultiPartParser
    from starlette.requests import ClientDisconnect

    curl = f"curl -F file=@{example}"
    content_type = request.headers.get("content-type") or ""
    if content_type.split(";")[0].strip().lower() != "multipart/form-data":
        got = f"content-type {content_type}" if content_type else "no content-type"
        raise APIError(415, "unsupported_media_type",
                       f"send the {what} as multipart/form-data with a file field 'file' (got {got}); "
                       f"e.g. {curl}")
    too_large = APIError(413, code, f"the upload is larger than {max_bytes} bytes ({setting})", max_bytes=max_bytes)
    limit = max_bytes + FORM_OVERHEAD
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise too_large

    async def counted():
        total = 0
        async for chunk in request.stream():
            total += len(chunk)
            if total > limit:
                raise too_large
            yield chunk

    parser = MultiPartParser(request.headers, counted(), max_files=1, max_fields=16, max_part_size=FORM_OVERHEAD)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise APIError(422, "malformed_multipart", f"the body is not well-formed multipart/form-data: {exc}") from None
    except ClientDisconnect:
        raise APIError(499, "client_closed_request", f"the client went away while sending the {what}") from None
    try:
        uploads = form.getlist("file")
        if not uploads:
            fields = ", ".join(sorted({repr(k) for k in form.keys()})) or "none"
            raise APIError(422, "invalid_request", f"the form has no field 'file' (fields: {fields}); e.g. {curl}",
                           details=[{"loc": ["body", "file"], "msg": "Field required", "type": "missing"}])
        upload = uploads[0]
        if isinstance(upload, str):
            raise APIError(422, "invalid_request", f"the field 'file' must be a file upload ({curl}, with the @)",
                           details=[{"loc": ["body", "file"], "msg": "Expected a file", "type": "value_error"}])
        if upload.size is not None and upload.size > max_bytes:
            raise too_large
        data = await upload.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise too_large
        return data, upload.filename
    finally:
        await form.close()
