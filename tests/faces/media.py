"""Real media for the face tests and benchmark: frames made of FER+ test crops pasted into a
larger picture, and videos (ffmpeg, H.264 + AAC) of such frames over speech clips."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from tests.helpers import DATASETS, needs

FERPLUS = DATASETS / "faces" / "ferplus"


def findable_faces(model, per_label: int = 1, labels: Sequence[str] = (), scale: int = 4) -> dict[str, list]:
    """Clear FER+ test crops (see :func:`clear_test_faces`) that, pasted alone into a frame, are
    found there and read as their label by ``model``: {label: [crops]}, up to ``per_label`` each."""
    out = {}
    for label, crops in clear_test_faces(per_label=12).items():
        if labels and label not in labels:
            continue
        for crop in crops:
            faces = model.predict(paste([crop], size=(1280, 720), scale=scale)[0])
            if len(faces) == 1 and faces[0].labels[0] == label:
                out.setdefault(label, []).append(crop)
                if len(out[label]) == per_label:
                    break
    return out


def clear_test_faces(per_label: int = 4, min_votes: int = 8) -> dict[str, np.ndarray]:
    """FER+ test crops whose annotators nearly agree (at least ``min_votes`` of 10), by label:
    {label: (n, 48, 48)}, at most ``per_label`` each, in file order."""
    from emoscope.data.faces import FACE_LABELS, read_ferplus

    split = read_ferplus(needs(FERPLUS), "test")
    out = {}
    for index, label in enumerate(FACE_LABELS):
        rows = np.flatnonzero((split.majority == index) & (split.votes[:, index] >= min_votes))[:per_label]
        if len(rows):
            out[label] = split.images[rows]
    return out


def paste(crops: Sequence[np.ndarray], size=(1280, 720), scale: int = 4, background: int = 110,
          seed: int = 0) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """A grey frame (height, width) with each crop, enlarged ``scale`` times, side by side on a
    plain background; returns the frame and where each crop went (x, y, w, h)."""
    import cv2

    width, height = size
    rng = np.random.default_rng(seed)  # a plain wall with a little grain (a texture makes false faces)
    frame = (background + rng.normal(0, 3, (height, width))).clip(0, 255).astype(np.uint8)
    side = 48 * scale
    gap = (width - side * len(crops)) // (len(crops) + 1)
    spots = []
    for i, crop in enumerate(crops):
        x, y = gap + i * (side + gap), (height - side) // 2
        frame[y:y + side, x:x + side] = cv2.resize(crop, (side, side), interpolation=cv2.INTER_CUBIC)
        spots.append((x, y, side, side))
    return frame, spots


def write_video(path: Path, scenes: Sequence[tuple[float, np.ndarray]], audio: Optional[np.ndarray] = None,
                rate: int = 25) -> Path:
    """An MP4 showing each (seconds, grey frame) scene in turn, over ``audio`` (16 kHz mono float)
    when given."""
    import soundfile as sf

    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        import pytest

        pytest.skip("ffmpeg is not installed")
    height, width = scenes[0][1].shape
    command = [ffmpeg, "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "gray", "-s", f"{width}x{height}",
               "-r", str(rate), "-i", "-"]
    if audio is not None:  # padded with silence or cut to the pictures' length
        samples = int(round(sum(seconds for seconds, _ in scenes) * 16000))
        audio = np.pad(np.asarray(audio, np.float32)[:samples], (0, max(0, samples - len(audio))))
        wav = path.with_suffix(".wav")
        sf.write(wav, audio, 16000)
        command += ["-i", str(wav), "-c:a", "aac", "-b:a", "64k"]
    command += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)]
    process = subprocess.Popen(command, stdin=subprocess.PIPE)
    for seconds, frame in scenes:
        data = np.ascontiguousarray(frame, dtype=np.uint8).tobytes()
        for _ in range(int(round(seconds * rate))):
            process.stdin.write(data)
    process.stdin.close()
    if process.wait() != 0:
        raise RuntimeError(f"ffmpeg could not write {path}")
    return path
