"""MELD (Poria et al., ACL 2019): utterances of Friends dialogues with one emotion each.

Files ``{train,dev,test}_sent_emo.csv``; columns used: ``Dialogue_ID``, ``Utterance_ID``,
``Speaker``, ``Utterance``, ``Emotion``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..dialogue.context import contextual_inputs
from ..errors import InputDecodeError, InputNotFoundError, UnknownColumnError
from .tables import read_table

MELD_LABELS = ["anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise"]
MELD_FILES = {"train": "train_sent_emo.csv", "dev": "dev_sent_emo.csv", "test": "test_sent_emo.csv"}
MELD_REQUIRED = ("Dialogue_ID", "Utterance_ID", "Speaker", "Utterance", "Emotion")


@dataclass
class MeldSplit:
    """Turns of one split, grouped by dialogue in turn order; ``gold`` is flat, one label index
    per turn in the same order."""

    speakers: list[list[str]]
    texts: list[list[str]]
    gold: np.ndarray
    label_names: tuple = tuple(MELD_LABELS)

    def first_dialogues(self, n: int) -> "MeldSplit":
        """The first ``n`` dialogues (for smoke tests)."""
        turns = sum(len(t) for t in self.texts[:n])
        return MeldSplit(self.speakers[:n], self.texts[:n], self.gold[:turns], self.label_names)

    def inputs(self, context_turns: int) -> list[str]:
        return [x for s, t in zip(self.speakers, self.texts)
                for x in contextual_inputs(s, t, context_turns)]


def read_meld_split(path: Path) -> MeldSplit:
    frame = read_table(str(path))
    missing = [c for c in MELD_REQUIRED if c not in frame.columns]
    if missing:
        raise UnknownColumnError(f"{path}: missing MELD column(s) {', '.join(missing)}; "
                                 f"columns are: {', '.join(map(str, frame.columns))}")
    unknown = sorted(set(frame["Emotion"].astype(str)) - set(MELD_LABELS))
    if unknown:
        raise InputDecodeError(f"{path}: unknown emotion label(s) {unknown}; expected {MELD_LABELS}")
    frame = frame.sort_values(["Dialogue_ID", "Utterance_ID"], kind="stable")
    speakers, texts, gold = [], [], []
    for _, turns in frame.groupby("Dialogue_ID", sort=False):
        speakers.append(turns["Speaker"].astype(str).tolist())
        texts.append(turns["Utterance"].fillna("").astype(str).tolist())
        gold.extend(MELD_LABELS.index(e) for e in turns["Emotion"].astype(str))
    return MeldSplit(speakers, texts, np.asarray(gold, dtype=np.int64))


def read_meld(data_dir: Path, split: str) -> MeldSplit:
    path = Path(data_dir) / MELD_FILES[split]
    if not path.is_file():
        raise InputNotFoundError(f"{path}: MELD file not found")
    return read_meld_split(path)
