"""The speech model: :class:`SpeechEmotionModel` loads a model directory and says which emotion
each stretch of speech in a recording expresses."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional, Sequence, Union

import numpy as np

from ..errors import ModelLoadError
from ..persistence import ModelConfig, ModelFiles, Task, copy_model, read_config, read_model, resolve_model_dir
from .audio import SAMPLE_RATE, AudioSource, speech_spans, stream_audio
from .results import NEUTRAL, SpeechResult, SpeechSegment

DEFAULT_MODEL = "speech-whisper-tiny"
MIN_SAMPLES = SAMPLE_RATE // 10  # the graph's front end needs a few frames; shorter input is zero-padded


def _is_one_source(source) -> bool:
    return isinstance(source, (str, Path, bytes, bytearray)) or (
        isinstance(source, tuple) and len(source) == 2 and isinstance(source[0], np.ndarray))


def _require_speech_task(directory: Path, config: ModelConfig) -> None:
    if config.task != Task.AUDIO_CLASSIFICATION:
        raise ModelLoadError(f"{directory}: a {config.task.value} model, not a speech model "
                             f"(emoscope.EmotionModel reads text models)")


class SpeechEmotionModel:
    """Emotion in the voice: one label per stretch of speech (at most ``segment_seconds`` long),
    and for a whole recording the duration-weighted mean of its segments' probabilities.

    >>> model = SpeechEmotionModel.load()
    >>> result = model.predict("interview.flac")
    >>> result.labels, [(s.start, s.end, s.labels) for s in result.segments]
    """

    def __init__(self, files: ModelFiles, session):
        _require_speech_task(files.directory, files.config)
        self.files = files
        self.directory = files.directory
        self.config = files.config
        self.labels = list(files.labels)
        self.segment_seconds = float(self.config.segment_seconds or 10.0)
        self.session = session
        self._input = session.get_inputs()[0].name

    @classmethod
    def load(cls, path: Optional[Union[str, Path]] = None, *, num_threads: Optional[int] = None
             ) -> "SpeechEmotionModel":
        """Load the shipped speech model (``path=None``), a shipped model by name, or a directory."""
        import onnxruntime as ort

        directory = resolve_model_dir(path, DEFAULT_MODEL)
        _require_speech_task(directory, read_config(directory))  # before anything else is read
        files = read_model(directory)
        if not files.graph.is_file():
            raise ModelLoadError(f"{directory}: no {files.config.onnx_file}")
        options = ort.SessionOptions()
        if num_threads:
            options.intra_op_num_threads = options.inter_op_num_threads = int(num_threads)
        try:
            session = ort.InferenceSession(str(files.graph), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors for a bad graph
            raise ModelLoadError(f"{files.graph}: cannot load the graph ({exc})") from None
        return cls(files, session)

    @property
    def name(self) -> str:
        return self.config.name or self.directory.name

    def save_pretrained(self, path: Union[str, Path]) -> Path:
        """Write this model to ``path`` (a directory :meth:`load` reads back)."""
        return copy_model(self.files, path)

    # -- segments ------------------------------------------------------------------------
    def predict_proba(self, segments: Sequence[np.ndarray]) -> np.ndarray:
        """Probabilities (n_segments, n_labels) of segments given as 16 kHz mono float32 arrays.
        Each segment is one graph run, so its scores never depend on the others."""
        out = np.zeros((len(segments), len(self.labels)), dtype=np.float32)
        for i, samples in enumerate(segments):
            samples = np.asarray(samples, dtype=np.float32).reshape(-1)
            if samples.size < MIN_SAMPLES:
                samples = np.pad(samples, (0, MIN_SAMPLES - samples.size))
            out[i] = self.session.run(None, {self._input: samples[None, :]})[0][0]
        return out

    def _segment(self, start: float, end: float, probabilities: np.ndarray) -> SpeechSegment:
        scores = {label: float(p) for label, p in zip(self.labels, probabilities)}
        return SpeechSegment(start, end, (self.labels[int(np.argmax(probabilities))],), scores)

    def timeline(self, source: AudioSource, *, progress: Optional[Callable[[float], None]] = None,
                 name: Optional[str] = None) -> Iterator[SpeechSegment]:
        """The segments of a recording as they are read (a file of hours streams in blocks);
        ``progress`` is called with the seconds read so far."""
        def blocks() -> Iterable[np.ndarray]:
            read = 0
            for block in stream_audio(source, name=name):
                read += len(block)
                yield block
                if progress is not None:
                    progress(read / SAMPLE_RATE)

        for span in speech_spans(blocks(), max_seconds=self.segment_seconds):
            yield self._segment(span.start, span.end, self.predict_proba([span.samples])[0])

    # -- recordings ----------------------------------------------------------------------
    def predict(self, source: Union[AudioSource, Sequence[AudioSource]], *,
                progress: Optional[Callable[[float], None]] = None):
        """One :class:`SpeechResult` for a recording (a path, the bytes of a file, or a
        ``(samples, sample_rate)`` pair), a list of them for a list of recordings."""
        if not _is_one_source(source):
            return [self.predict(one, progress=progress) for one in source]
        seconds = [0.0]  # read so far: the recording's duration once the timeline is done

        def seen(read: float) -> None:
            seconds[0] = read
            if progress is not None:
                progress(read)

        segments = tuple(self.timeline(source, progress=seen))
        name = str(source) if isinstance(source, (str, Path)) else None
        return self.summarise(segments, seconds[0], name)

    def summarise(self, segments: Sequence[SpeechSegment], duration: float,
                  source: Optional[str] = None) -> SpeechResult:
        """A recording's result from its segments: probabilities averaged with the segments'
        durations as weights; ``neutral`` and ``empty`` when there are none."""
        if not segments:
            scores = {label: float(label == NEUTRAL) for label in self.labels}
            return SpeechResult((NEUTRAL,), scores, (), duration, True, source)
        weights = np.array([max(s.duration, 1e-3) for s in segments])
        probabilities = np.array([[s.scores[label] for label in self.labels] for s in segments])
        mean = weights @ probabilities / weights.sum()
        scores = {label: float(p) for label, p in zip(self.labels, mean)}
        return SpeechResult((self.labels[int(np.argmax(mean))],), scores, tuple(segments), duration, False, source)
