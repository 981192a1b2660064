"""The speech model: :class:`SpeechEmotionModel` loads a model directory and says which emotion
each stretch of speech in a recording expresses."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional, Sequence, Union

import numpy as np

from ..persistence import ModelFiles, Task
from ..runtime import GraphModel
from .audio import SAMPLE_RATE, AudioSource, speech_spans, stream_audio
from .results import NEUTRAL, SpeechResult, SpeechSegment

DEFAULT_MODEL = "speech-whisper-tiny"
MIN_SAMPLES = SAMPLE_RATE // 10  # the graph's front end needs a few frames; shorter input is zero-padded


def _is_one_source(source) -> bool:
    return isinstance(source, (str, Path, bytes, bytearray)) or (
        isinstance(source, tuple) and len(source) == 2 and isinstance(source[0], np.ndarray))


class SpeechEmotionModel(GraphModel):
    """Emotion in the voice: one label per stretch of speech (at most ``segment_seconds`` long),
    and for a whole recording the duration-weighted mean of its segments' probabilities.

    >>> model = SpeechEmotionModel.load()
    >>> result = model.predict("interview.flac")
    >>> result.labels, [(s.start, s.end, s.labels) for s in result.segments]
    """

    task = Task.AUDIO_CLASSIFICATION
    default_model = DEFAULT_MODEL
    not_this_kind = "a speech model (emoscope.EmotionModel reads text models)"

    def __init__(self, files: ModelFiles, session):
        super().__init__(files, session)
        self.segment_seconds = float(self.config.segment_seconds or 10.0)

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
