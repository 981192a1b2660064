"""``emoscope serve``: the HTTP API and the web page."""

from __future__ import annotations

import json
from typing import Optional

import typer

from .app import ModelOption, ThreadsOption, app, require_extra


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    model: Optional[str] = ModelOption,
    language: Optional[str] = typer.Option(None, "--language", help="Read every text as this language (a model trained on several languages, e.g. deu for semeval-multilingual-e5), or 'auto': each text as the language the model detects."),
    workers: int = typer.Option(1, min=1, help="Server processes (each loads the model)."),
    threads: Optional[int] = ThreadsOption,
    max_texts: int = typer.Option(64, help="Most texts in one request (413 beyond)."),
    max_chars: int = typer.Option(10_000, help="Most characters in one text (413 beyond)."),
    max_body_bytes: int = typer.Option(1_000_000, help="Largest request body in bytes (413 beyond)."),
    max_explain_words: int = typer.Option(100, help="With explain: most words in one text (413 beyond)."),
    max_explain_runs: int = typer.Option(100, help="With explain: most model runs in one request, (words + 1) x windows summed over its texts (413 beyond)."),
    batching: bool = typer.Option(True, "--batching/--no-batching", help="Gather concurrent requests into shared model batches."),
    max_batch: int = typer.Option(64, help="Most texts in one shared model batch."),
    max_wait_ms: float = typer.Option(5.0, help="How long a batch waits for more requests (ms)."),
    batch_size: Optional[int] = typer.Option(None, min=1, help="Texts per model run within a shared batch (default: the model's own, which keeps each result independent of other requests)."),
    speech_model: Optional[str] = typer.Option(None, help="Speech model for /v1/speech: a shipped name or a directory (default: speech-whisper-tiny, loaded on the first speech request)."),
    max_audio_bytes: int = typer.Option(20_000_000, min=1, help="Largest recording uploaded to /v1/speech, in bytes (413 beyond)."),
    max_audio_seconds: float = typer.Option(600.0, min=0.001, help="Longest recording uploaded to /v1/speech, in seconds (413 beyond)."),
    face_model: Optional[str] = typer.Option(None, help="Face model for /v1/face: a shipped name or a directory (default: face-ferplus, loaded on the first face request; needs the image extra, OpenCV)."),
    max_image_bytes: int = typer.Option(10_000_000, min=1, help="Largest image uploaded to /v1/face, in bytes (413 beyond)."),
    max_image_pixels: int = typer.Option(40_000_000, min=1, help="Most pixels of an image uploaded to /v1/face: a JPEG over it is decoded reduced (by 2, 4 or 8), any other image refused (413)."),
) -> None:
    """Serve the HTTP API (/v1/analyze, /v1/speech, /v1/face, /v1/labels, /healthz, /docs) and the web page at /.

    The speech and face models are loaded on the first request that needs them (/v1/speech needs the
    audio extra, /v1/face the image extra, OpenCV; without them those endpoints answer 501)."""
    require_extra("serving", "serve", ("fastapi", "uvicorn"))
    import uvicorn

    from ..persistence import read_labels, resolve_model_dir
    from ..serve.app import SETTINGS_ENV, ServeSettings, create_app
    from ..text.model import DEFAULT_MODEL

    settings = ServeSettings(model=model, language=language, num_threads=threads, max_texts=max_texts, max_chars=max_chars,
                             max_body_bytes=max_body_bytes, max_explain_words=max_explain_words,
                             max_explain_runs=max_explain_runs, batching=batching, max_batch=max_batch,
                             max_wait_ms=max_wait_ms, model_batch_size=batch_size, speech_model=speech_model,
                             max_audio_bytes=max_audio_bytes, max_audio_seconds=max_audio_seconds,
                             face_model=face_model, max_image_bytes=max_image_bytes,
                             max_image_pixels=max_image_pixels)
    text_model_dir = resolve_model_dir(model, DEFAULT_MODEL)
    read_labels(text_model_dir)  # fail fast, before the server starts, on a bad --model
    if language:  # and on a language the model cannot read (an unknown code only warns, as in analyze)
        from ..persistence import read_model
        from ..text.model import check_language

        files = read_model(text_model_dir)
        check_language(str(files.config.name or text_model_dir.name), files, language)
    if speech_model is not None:  # the default speech model is only looked for on the first speech request
        from ..errors import ModelLoadError
        from ..persistence import Task, read_config
        from ..speech.model import DEFAULT_MODEL as SPEECH_MODEL

        directory = resolve_model_dir(speech_model, SPEECH_MODEL)
        read_labels(directory)
        if read_config(directory).task != Task.AUDIO_CLASSIFICATION:
            raise ModelLoadError(f"{directory}: --speech-model takes a speech model, not a "
                                 f"{read_config(directory).task.value} model")
    if face_model is not None:  # likewise: the default face model is looked for on the first face request
        check_face_model(face_model)
    if workers > 1:
        import dataclasses
        import os

        os.environ[SETTINGS_ENV] = json.dumps(dataclasses.asdict(settings))
        uvicorn.run("emoscope.serve.app:app_from_env", factory=True, host=host, port=port,
                    workers=workers, timeout_graceful_shutdown=30)
    else:
        uvicorn.run(create_app(settings), host=host, port=port, timeout_graceful_shutdown=30)


def check_face_model(name: str) -> None:
    """Fail before the server starts on a --face-model that is not a face model's directory
    (without loading it: that needs onnxruntime's session, made on the first face request)."""
    from ..errors import ModelLoadError
    from ..faces.model import DEFAULT_MODEL as FACE_MODEL
    from ..persistence import Task, read_config, read_labels, resolve_model_dir

    directory = resolve_model_dir(name, FACE_MODEL)
    read_labels(directory)
    task = read_config(directory).task
    if task != Task.IMAGE_CLASSIFICATION:
        raise ModelLoadError(f"{directory}: --face-model takes a face model, not a {task.value} model")
