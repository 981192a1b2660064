"""``POST /v1/speech``: emotion in the voice of an uploaded recording.

The upload is a multipart/form-data body with one file field, ``file``, read by
:func:`emoscope.serve.uploads.read_upload`: its bytes are counted while they arrive (at most
``max_audio_bytes`` for the file; the body as a whole may carry 64 KiB more for the form's
boundaries and headers), so a large body is refused without being kept; the file part is spooled
to a temporary file past 1 MB, as Starlette does.
Decoding, resampling and the model run in a worker thread.  The speech model is loaded on the first
speech request, so a server used for text only never loads it (it takes about 0.4 s).

Status codes: 413 ``audio_too_large`` / ``audio_too_long``; 415 ``unsupported_media_type`` (the
body is not multipart/form-data, or the file is in a format nothing on the server decodes: not
libsndfile, and no ffmpeg on the PATH); 422 ``input_decode_error`` (an empty, damaged or not-audio
file), ``invalid_request`` (no ``file`` field), ``malformed_multipart``; 501 ``speech_unavailable``
(the audio extra, python-multipart or the speech model is missing on the server).
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
    from ..speech.model import SpeechEmotionModel

# what the route answers, for its documented responses (input_decode_error is the class's name)
SPEECH_ERROR_CODES = ("audio_too_large", "audio_too_long", "unsupported_media_type", "invalid_request",
                      "malformed_multipart", "speech_unavailable")


class SpeechSegmentOut(BaseModel):
    """One stretch of speech in the recording."""

    start: float = Field(..., description="Seconds from the start of the recording.")
    end: float = Field(..., description="Seconds from the start of the recording.")
    labels: list[str] = Field(..., description="The segment's emotion (one label).")
    top_label: str
    top_score: float
    scores: dict[str, float] = Field(..., description="A probability per label.")


class SpeechResponse(BaseModel):
    """The speech model's result for one recording (the schema of ``emoscope speech``'s JSON)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "model": "speech-whisper-tiny", "source": "angry.ogg", "duration": 3.971, "labels": ["angry"],
        "top_label": "angry", "top_score": 0.999652, "empty": False,
        "segments": [{"start": 0.9, "end": 3.04, "labels": ["angry"], "top_label": "angry",
                      "top_score": 0.999652, "scores": {"angry": 0.999652, "happy": 0.000187, "...": 0.0}}],
        "scores": {"angry": 0.999652, "happy": 0.000187, "...": 0.0}}]})

    model: str = Field(..., description="The speech model's name.")
    source: Optional[str] = Field(None, description="The upload's file name.")
    duration: float = Field(..., description="Seconds of audio in the recording.")
    labels: list[str] = Field(..., description="The recording's emotion: the best of the duration-weighted "
                                               "mean of its segments' probabilities (neutral when empty).")
    top_label: str
    top_score: float
    empty: bool = Field(..., description="No speech was found (silence, or no samples).")
    segments: list[SpeechSegmentOut] = Field(..., description="The timeline: one entry per stretch of speech.")
    scores: dict[str, float]


# the multipart body, for the OpenAPI document (the route reads the stream itself)
SPEECH_UPLOAD_SCHEMA = {
    "title": "SpeechUpload", "type": "object", "required": ["file"],
    "description": "multipart/form-data with one file field; curl -F file=@clip.wav",
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "The recording: WAV, FLAC, Ogg (Vorbis, Opus), MP3, AIFF, and "
                                           "anything ffmpeg decodes when the server has it. The part's "
                                           "content type is not used: the bytes are."}},
}


class SpeechService(UploadModelService):
    """The lazily loaded speech model and the work of one upload."""

    what = kind = "speech"
    unavailable_code = "speech_unavailable"
    extra_hint = " (the audio extra)"

    def __init__(self, settings):
        super().__init__(settings)
        self.recordings = 0

    def missing_packages(self) -> list[str]:
        return _missing_packages()

    def load_model(self) -> "SpeechEmotionModel":
        from ..speech.model import SpeechEmotionModel

        return SpeechEmotionModel.load(self.settings.speech_model, num_threads=self.settings.num_threads)

    async def analyse(self, request: Request) -> dict:
        model = await self.get_model()  # 501 before reading the body when speech is unavailable
        data, filename = await read_upload(request, self.settings.max_audio_bytes, code="audio_too_large",
                                            setting="max_audio_bytes", what="recording", example="clip.wav")
        result = await asyncio.to_thread(self._predict, model, data, filename)
        self.recordings += 1
        return result

    def _predict(self, model: "SpeechEmotionModel", data: bytes, filename: Optional[str]) -> dict:
        from ..speech.audio import SAMPLE_RATE, AudioTooLongError, read_audio

        limit = self.settings.max_audio_seconds
        try:
            samples = read_audio(data, max_seconds=limit, name=upload_name(filename))
        except AudioTooLongError as exc:
            raise APIError(413, "audio_too_long", f"{exc} (max_audio_seconds)",
                           max_seconds=limit) from None
        except UnsupportedFormatError as exc:
            raise APIError(415, "unsupported_media_type", str(exc)) from None
        except MissingExtraError as exc:  # soundfile went missing after the model loaded
            raise APIError(501, "speech_unavailable", str(exc)) from None
        result = model.predict((samples, SAMPLE_RATE)).to_dict()
        result["source"] = filename or None
        return {"model": model.name, **result}


def _missing_packages() -> list[str]:
    """The pip names of what /v1/speech needs and this Python lacks."""
    missing = []
    try:
        import soundfile  # noqa: F401
    except (ImportError, OSError):  # OSError: the package is there, libsndfile is not
        missing.append("soundfile")
    from starlette import formparsers

    if formparsers.multipart is None:
        missing.append("python-multipart")
    return missing
