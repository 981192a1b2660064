"""Speed and peak memory of the speech model on an hour of audio, on CPU.

The recording: held-out-speaker clips of RAVDESS, EmoDB and TESS (``../shared/datasets/speech``)
concatenated with 0.3 s of silence between them until it lasts an hour, written block by block to
a temporary FLAC file.  Each timed run is a fresh process that loads the shipped model and calls
``SpeechEmotionModel.load().predict(path)`` (reading, resampling, speech segments, the graph);
the script prints the median wall time of ``--runs`` runs, the real-time factor (seconds of audio
per second) and the peak resident memory.

Baseline, in the same session: Whisper's own way of reading audio, the CTranslate2 Whisper
tiny.en encoder (faster-whisper's runtime, int8) on each of the same speech segments padded to
30 s, timed on the first ``--baseline-seconds`` of the recording and scaled to the hour.

    python benchmarks/speech.py --threads 2
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATASETS = Path(os.environ.get("EMOSCOPE_DATASETS", REPO.parent / "shared" / "datasets"))


def write_recording(path: Path, seconds: float) -> float:
    """An hour (``seconds``) of held-out clips with short pauses, written without holding it all."""
    import soundfile as sf

    from emoscope.data.speech import read_speech_corpora
    from emoscope.speech.audio import read_audio

    clips = read_speech_corpora(DATASETS / "speech", "test")
    pause = np.zeros(4800, dtype=np.float32)
    written = 0
    with sf.SoundFile(str(path), "w", samplerate=16_000, channels=1, format="FLAC") as out:
        while written < seconds * 16_000:
            for clip in clips:
                samples = read_audio(clip.path)
                out.write(samples)
                out.write(pause)
                written += len(samples) + len(pause)
                if written >= seconds * 16_000:
                    break
    return written / 16_000


RUN = """
import sys, time, json
from emoscope import SpeechEmotionModel
start = time.perf_counter()
model = SpeechEmotionModel.load(num_threads={threads})
result = model.predict(sys.argv[1])
print(json.dumps({{"seconds": time.perf_counter() - start, "segments": len(result.segments)}}))
"""


def timed_run(path: Path, threads: int) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MB, segments) of one fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", RUN.format(threads=threads), str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(proc.stderr.read().decode())
    return wall, usage.ru_maxrss / 1024, json.loads(proc.stdout.read())["segments"]


def baseline_seconds(path: Path, seconds: float, threads: int) -> float:
    """Seconds the CTranslate2 Whisper encoder takes on the speech segments of the first
    ``seconds`` of ``path``, each padded to 30 s as Whisper reads audio."""
    import ctranslate2
    from faster_whisper.feature_extractor import FeatureExtractor

    from emoscope.speech.audio import speech_spans, stream_audio
    from emoscope.speech.transcribe import whisper_model_dir

    samples = next(stream_audio(path, block_seconds=seconds))  # the first block only, not the hour
    spans = list(speech_spans([samples]))
    encoder = ctranslate2.models.Whisper(str(whisper_model_dir()), compute_type="int8", intra_threads=threads)
    extractor = FeatureExtractor(feature_size=80)
    start = time.perf_counter()
    for span in spans:
        features = extractor(np.pad(span.samples, (0, 30 * 16_000 - len(span.samples))))[:, :3000]
        encoder.encode(ctranslate2.StorageView.from_array(np.ascontiguousarray(features[None])))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3600.0, help="length of the recording")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--baseline-seconds", type=float, default=300.0)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hour.flac"
        duration = write_recording(path, args.seconds)
        runs = [timed_run(path, args.threads) for _ in range(args.runs)]
        wall = statistics.median(r[0] for r in runs)
        report = {"audio_seconds": round(duration, 1), "runs_s": [round(r[0], 2) for r in runs],
                  "median_s": round(wall, 2), "x_real_time": round(duration / wall, 1),
                  "peak_rss_mb": round(max(r[1] for r in runs), 1), "segments": runs[0][2], "threads": args.threads}
        if not args.skip_baseline:
            base = baseline_seconds(path, args.baseline_seconds, args.threads)
            report["baseline"] = {"name": "CTranslate2 Whisper tiny.en encoder, int8, segments padded to 30 s",
                                  "audio_seconds": args.baseline_seconds, "seconds": round(base, 2),
                                  "x_real_time": round(args.baseline_seconds / base, 1)}
            report["speedup_vs_baseline"] = round(report["x_real_time"] / report["baseline"]["x_real_time"], 2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
