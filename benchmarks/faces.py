"""Speed of the face model on CPU: face crops classified per second, and a one-minute 720p video
analysed at 2 frames per second (faces, tracking, the voice of its sound track; no transcript).

Crops: the 3,545 FER+ test crops (majority-vote protocol) through
``FaceEmotionModel.load().classify(crops)``; baseline in the same run, the same model called one
crop at a time (a loop over faces, as code that classifies faces as it finds them would).

Video: one minute of 1280x720 H.264 with AAC sound, built from FER+ test crops that the detector finds
(two faces, the expression changing every 5 s) over held-out RAVDESS clips, analysed by
``emoscope.faces.video.analyze_video`` with the shipped face and speech models; baseline in the
same run, OpenCV's ``VideoCapture`` decoding every frame of the same file and keeping two per
second (the frame reading alone, no models), against emoscope's ffmpeg sampling.

Each timing is the median of ``--runs`` runs.

    python benchmarks/faces.py --threads 2
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the test media builder (tests/faces/media.py)


def median_seconds(call, runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def build_video(path: Path, seconds: float = 60.0) -> Path:
    from emoscope.data.speech import read_speech_corpus
    from emoscope.speech.audio import read_audio
    from emoscope import FaceEmotionModel
    from tests.faces.media import findable_faces, paste, write_video
    from tests.helpers import DATASETS

    clear = findable_faces(FaceEmotionModel.load(), per_label=2)  # faces a detector can see
    labels = [label for label in clear if len(clear[label]) >= 2]
    scenes = []
    for i in range(int(seconds // 5)):
        pair = [clear[labels[i % len(labels)]][i % 2], clear[labels[(i + 3) % len(labels)]][(i + 1) % 2]]
        scenes.append((5.0, paste(pair, size=(1280, 720), seed=i)[0]))
    clips = read_speech_corpus(DATASETS / "speech", "ravdess", "test")
    audio, pause = [], np.zeros(8000, np.float32)
    while sum(len(a) for a in audio) < seconds * 16000:
        for clip in clips[: 40]:
            audio += [read_audio(clip.path), pause]
    return write_video(path, scenes, np.concatenate(audio))


def opencv_sampling(path: Path, fps: float) -> int:
    import cv2

    capture = cv2.VideoCapture(str(path))
    rate = capture.get(cv2.CAP_PROP_FPS) or 25.0
    step, kept, index = rate / fps, 0, 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        if index >= kept * step:
            cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
            kept += 1
        index += 1
    capture.release()
    return kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fps", type=float, default=2.0)
    args = parser.parse_args()

    from emoscope import FaceEmotionModel, SpeechEmotionModel
    from emoscope.data.faces import read_ferplus
    from emoscope.faces.video import analyze_video, sample_frames, probe_video
    from tests.helpers import DATASETS

    faces = FaceEmotionModel.load(num_threads=args.threads)
    crops = read_ferplus(DATASETS / "faces" / "ferplus", "test").images
    faces.classify(crops[:256])  # warm-up
    batched, batched_runs = median_seconds(lambda: faces.classify(crops), args.runs)
    one = crops[:500]
    single, single_runs = median_seconds(lambda: [faces.classify(one[i:i + 1]) for i in range(len(one))], args.runs)
    report = {"crops": len(crops), "crops_per_second": round(len(crops) / batched, 1),
              "runs_seconds": [round(t, 3) for t in batched_runs],
              "baseline_one_crop_per_call_per_second": round(len(one) / single, 1),
              "baseline_runs_seconds": [round(t, 3) for t in single_runs],
              "speedup_vs_baseline": round((len(crops) / batched) / (len(one) / single), 2)}
    speech = SpeechEmotionModel.load(num_threads=args.threads)
    with tempfile.TemporaryDirectory() as folder:
        video = build_video(Path(folder) / "minute.mp4")
        info = probe_video(video)
        timelines = []
        analysed, analysed_runs = median_seconds(
            lambda: timelines.append(analyze_video(video, faces, speech_model=speech, fps=args.fps)), args.runs)
        ours, ours_runs = median_seconds(lambda: sum(1 for _ in sample_frames(video, info, args.fps)), args.runs)
        theirs, theirs_runs = median_seconds(lambda: opencv_sampling(video, args.fps), args.runs)
    timeline = timelines[-1]
    report.update({"video_seconds": round(info.duration, 2), "video_size": f"{info.width}x{info.height}",
                   "video_analysis_seconds": round(analysed, 2), "video_runs_seconds": [round(t, 2) for t in analysed_runs],
                   "frames_analysed": len({o.time for o in timeline.faces}), "face_tracks": len(timeline.tracks),
                   "voice_segments": len(timeline.voice.segments) if timeline.voice else 0,
                   "frame_sampling_ffmpeg_seconds": round(ours, 2),
                   "baseline_frame_sampling_opencv_seconds": round(theirs, 2),
                   "sampling_speedup_vs_baseline": round(theirs / ours, 2)})
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
