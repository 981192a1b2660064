"""Video: the faces in frames sampled from a recording, followed across frames, each face's
expression over time, and the voice of its sound track, on one timeline.

Frames come from ffmpeg (any container and codec it reads) as greyscale at ``fps`` frames per
second, so memory holds one frame at a time whatever the video's length.  A face found in a
frame continues the track whose last box overlaps it most (intersection over union at least
``min_iou``, within ``max_gap`` seconds); otherwise it starts a new track, ``face 1``,
``face 2`` ... in order of first appearance.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Optional, Union

import numpy as np

from ..errors import InputDecodeError, InputNotFoundError, UnsupportedFormatError
from .detect import FaceBox
from .results import FaceResult

MAX_SIDE = 1280  # frames are analysed at most this long (720p and below as they are)
# Faces are searched on frames shrunk to 640 pixels and from 64 pixels up: on 720p frames of FER+
# faces this finds what the photo settings find (12 of 12 measured) in a fifth of the time
# (0.07 s a frame against 0.35 s on 2 cores), which keeps a minute at 2 frames/s under 60 s.
VIDEO_MIN_FACE = 64
VIDEO_SEARCH_SIDE = 640


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    duration: float
    has_audio: bool


@dataclass(frozen=True)
class FaceObservation:
    """One face in one sampled frame: ``time`` in seconds, ``face`` the track's name, and the face
    model's result (``box`` in the video's pixels)."""

    time: float
    face: str
    result: FaceResult

    def to_dict(self) -> dict:
        return {"time": round(self.time, 3), "face": self.face, **self.result.to_dict()}


@dataclass(frozen=True)
class VideoTimeline:
    """What emoscope says about a video: each tracked face's expression at every sampled frame,
    and the voice's emotion in each speech segment (``voice``: a
    :class:`~emoscope.speech.SpeechResult`, ``None`` without a sound track or speech model)."""

    source: str
    duration: float
    width: int
    height: int
    fps: float
    faces: tuple[FaceObservation, ...]
    voice: Optional[object] = None

    @property
    def tracks(self) -> tuple[str, ...]:
        """The faces' names in order of first appearance."""
        return tuple(dict.fromkeys(o.face for o in self.faces))

    def to_dict(self) -> dict:
        return {"source": self.source, "duration": round(self.duration, 3), "width": self.width,
                "height": self.height, "fps": self.fps, "tracks": list(self.tracks),
                "faces": [o.to_dict() for o in self.faces],
                "voice": self.voice.to_dict() if self.voice is not None else None}

    def rows(self) -> list[dict]:
        """One row per face observation (lasting one frame interval) and per speech segment: the
        table ``--output`` writes (``track``, ``start``, ``end``, ``labels``, ``top_label``,
        ``top_score``, the box or the transcript, ``score_<label>``)."""
        out = []
        step = 1.0 / self.fps
        for o in self.faces:
            record = o.result.to_dict()
            out.append({"track": o.face, "start": round(o.time, 3), "end": round(min(o.time + step, self.duration), 3),
                        "labels": ";".join(record["labels"]), "top_label": record["top_label"],
                        "top_score": record["top_score"], **{k: record["box"][k] for k in ("x", "y", "width", "height")},
                        **{f"score_{k}": v for k, v in record["scores"].items()}})
        for segment in (self.voice.segments if self.voice is not None else ()):
            record = segment.to_dict()
            row = {"track": "voice", "start": record["start"], "end": record["end"],
                   "labels": ";".join(record["labels"]), "top_label": record["top_label"],
                   "top_score": record["top_score"]}
            if "text" in record:
                row.update(text=record["text"], text_top_label=record.get("text_top_label"))
            out.append({**row, **{f"score_{k}": v for k, v in record["scores"].items()}})
        return out


def _tool(name: str, path: Path) -> str:
    found = shutil.which(name)
    if found is None:
        raise UnsupportedFormatError(f"{path}: reading video needs {name} (part of ffmpeg; apt install ffmpeg)")
    return found


def probe_video(path: Union[str, Path]) -> VideoInfo:
    """The size and duration of a video's first picture stream, and whether it has sound."""
    path = Path(path)
    if not path.is_file():
        raise InputNotFoundError(f"{path}: no such file")
    run = subprocess.run([_tool("ffprobe", path), "-v", "error", "-show_entries",
                          "stream=codec_type,width,height,duration:format=duration", "-of", "json", str(path)],
                         capture_output=True, timeout=60)
    try:
        info = json.loads(run.stdout or b"{}")
    except ValueError:
        info = {}
    streams = info.get("streams") or []
    video = next((s for s in streams if s.get("codec_type") == "video" and s.get("width")), None)
    if run.returncode != 0 or video is None:
        detail = (run.stderr.decode("utf-8", "replace").strip().splitlines() or ["no picture stream"])[-1]
        raise InputDecodeError(f"{path}: not a readable video ({detail})")
    duration = info.get("format", {}).get("duration") or video.get("duration") or 0
    return VideoInfo(int(video["width"]), int(video["height"]), float(duration),
                     any(s.get("codec_type") == "audio" for s in streams))


def sample_frames(path: Union[str, Path], info: VideoInfo, fps: float) -> Iterator[tuple[float, np.ndarray, float]]:
    """``(time, grey frame, factor)`` at ``fps`` frames per second; ``factor`` turns the frame's
    pixels into the video's (frames longer than MAX_SIDE are analysed downscaled)."""
    factor = max(1.0, max(info.width, info.height) / MAX_SIDE)
    width, height = int(round(info.width / factor)) // 2 * 2, int(round(info.height / factor)) // 2 * 2
    command = [_tool("ffmpeg", Path(path)), "-v", "error", "-nostdin", "-i", str(path), "-an", "-vf",
               f"fps={fps},scale={width}:{height}", "-f", "rawvideo", "-pix_fmt", "gray", "-"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    size = width * height
    try:
        index = 0
        while True:
            frame = process.stdout.read(size)
            if len(frame) < size:
                break
            yield index / fps, np.frombuffer(frame, np.uint8).reshape(height, width), info.width / width
            index += 1
    finally:
        process.stdout.close()
        process.kill()
        process.wait()


class FaceTracker:
    """Stable names for faces across frames: greedy matching by box overlap."""

    def __init__(self, min_iou: float = 0.3, max_gap: float = 2.0):
        self.min_iou, self.max_gap = min_iou, max_gap
        self.active: dict[str, tuple[float, tuple]] = {}  # name -> (last time, last box)
        self.count = 0

    def assign(self, time: float, boxes: list[tuple]) -> list[str]:
        self.active = {k: v for k, v in self.active.items() if time - v[0] <= self.max_gap}
        pairs = sorted(((FaceBox(*box).iou(FaceBox(*last)), i, name) for i, box in enumerate(boxes)
                        for name, (_, last) in self.active.items()), reverse=True)
        names: dict[int, str] = {}
        taken = set()
        for overlap, i, name in pairs:
            if overlap < self.min_iou:
                break
            if i not in names and name not in taken:
                names[i] = name
                taken.add(name)
        for i, box in enumerate(boxes):
            if i not in names:
                self.count += 1
                names[i] = f"face {self.count}"
            self.active[names[i]] = (time, box)
        return [names[i] for i in range(len(boxes))]


def analyze_video(path: Union[str, Path], face_model, *, speech_model=None, transcriber=None, fps: float = 2.0,
                  progress: Optional[Callable[[float], None]] = None) -> VideoTimeline:
    """The timeline of a video: faces every 1/``fps`` s, and the voice when ``speech_model`` is
    given and the video has sound (``transcriber``: what is said and its text emotions too).
    ``progress`` is called with the seconds of video analysed so far."""
    if not fps > 0:
        from ..errors import UsageError

        raise UsageError(f"fps must be positive, not {fps}")
    info = probe_video(path)
    tracker = FaceTracker()
    observations = []
    for time, frame, factor in sample_frames(path, info, fps):
        faces = face_model.predict(frame, min_size=VIDEO_MIN_FACE, max_side=VIDEO_SEARCH_SIDE)
        if faces:
            faces = [face.scaled(factor) for face in faces]
            names = tracker.assign(time, [f.box for f in faces])
            observations += [FaceObservation(time, name, face) for name, face in zip(names, faces)]
        if progress is not None:
            progress(time)
    voice = None
    if speech_model is not None and info.has_audio:
        voice = speech_model.predict(Path(path))
        if transcriber is not None:
            voice = transcriber.annotate(voice, Path(path))
    return VideoTimeline(str(path), info.duration, info.width, info.height, fps, tuple(observations), voice)
