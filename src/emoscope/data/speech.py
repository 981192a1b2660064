"""Acted emotional speech: RAVDESS, TESS and Berlin EmoDB, as in ``../shared/datasets/speech/``
(labels and speakers come from the file names; see the datasets' README).

Every corpus is mapped onto one label set, :data:`SPEECH_LABELS`; each corpus uses a subset
(:data:`CORPUS_LABELS`), and evaluations score a model on the corpus's own labels only.
Test speakers (:data:`TEST_SPEAKERS`) are never trained on or used for choices.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Union

from ..errors import InputNotFoundError, UsageError

SPEECH_LABELS = ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised", "boredom")
CORPORA = ("ravdess", "tess", "emodb")
CORPUS_LABELS = {
    "ravdess": ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"),
    "tess": ("neutral", "happy", "sad", "angry", "fearful", "disgust", "surprised"),
    "emodb": ("neutral", "happy", "sad", "angry", "fearful", "disgust", "boredom"),
}
# Speakers held out for testing: the speech issue's RAVDESS actors 19-24 and EmoDB speakers 15 and
# 16; TESS has two speakers, and the younger one (YAF) is held out.
TEST_SPEAKERS = {"ravdess": {f"{n:02d}" for n in range(19, 25)}, "emodb": {"15", "16"}, "tess": {"YAF"}}
CORPUS_LICENCES = {
    "ravdess": "RAVDESS (Livingstone & Russo 2018): CC BY-NC-SA 4.0",
    "tess": "TESS (Dupuis & Pichora-Fuller 2010): CC BY-NC-ND 4.0",
    "emodb": "Berlin EmoDB (Burkhardt et al. 2005): free for research",
}

_RAVDESS = {"01": "neutral", "02": "calm", "03": "happy", "04": "sad", "05": "angry", "06": "fearful",
            "07": "disgust", "08": "surprised"}
_TESS = {"angry": "angry", "disgust": "disgust", "fear": "fearful", "happy": "happy", "neutral": "neutral",
         "ps": "surprised", "sad": "sad"}
_EMODB = {"W": "angry", "L": "boredom", "E": "disgust", "A": "fearful", "F": "happy", "T": "sad", "N": "neutral"}


@dataclass(frozen=True)
class SpeechClip:
    path: Path
    corpus: str
    speaker: str
    label: str

    @property
    def group(self) -> str:
        """The speaker across corpora (for cross-validation grouped by speaker)."""
        return f"{self.corpus}:{self.speaker}"


def _clip(path: Path, corpus: str) -> SpeechClip:
    stem = path.stem
    if corpus == "ravdess":  # 03-01-EE-II-SS-RR-AA
        parts = stem.split("-")
        return SpeechClip(path, corpus, parts[6], _RAVDESS[parts[2]])
    if corpus == "tess":  # OAF_word_emotion
        return SpeechClip(path, corpus, stem.split("_")[0], _TESS[stem.rsplit("_", 1)[1].lower()])
    return SpeechClip(path, corpus, stem[:2], _EMODB[stem[5]])  # SSTTTEV


def read_speech_corpus(root: Union[str, Path], corpus: str, split: str = "all") -> list[SpeechClip]:
    """The clips of one corpus under ``root`` (the ``speech`` folder, or the corpus's own folder),
    sorted by path; ``split`` is ``"train"`` (speakers not held out), ``"test"`` or ``"all"``."""
    if corpus not in CORPORA:
        raise UsageError(f"unknown speech corpus {corpus!r}; choose from {', '.join(CORPORA)}")
    if split not in ("train", "test", "all"):
        raise UsageError(f"unknown split {split!r}; choose train, test or all")
    root = Path(root)
    folder = root if root.name == corpus else root / corpus
    if not folder.is_dir():
        raise InputNotFoundError(f"{folder}: no {corpus} folder (see ../shared/datasets/README.md)")
    pattern = "Actor_*/*.ogg" if corpus == "ravdess" else ("*.ogg" if corpus == "tess" else "*.flac")
    clips = [_clip(path, corpus) for path in sorted(folder.glob(pattern))]
    if not clips:
        raise InputNotFoundError(f"{folder}: no {corpus} clips ({pattern})")
    if split == "all":
        return clips
    held_out = TEST_SPEAKERS[corpus]
    return [c for c in clips if (c.speaker in held_out) == (split == "test")]


def read_speech_corpora(root: Union[str, Path], split: str = "train",
                        corpora: tuple[str, ...] = CORPORA) -> list[SpeechClip]:
    return [clip for corpus in corpora for clip in read_speech_corpus(root, corpus, split)]
