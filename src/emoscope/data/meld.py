"""MELD (Poria et al., ACL 2019): utterances of Friends dialogues with one emotion each.

Files ``{train,dev,test}_sent_emo.csv``; columns used: ``Dialogue_ID``, ``Utterance_ID``,
``Speaker``, ``Utterance``, ``Emotion``.  A split is read as one :class:`LabelledTexts` of turns
(single-label, one-hot targets), grouped by dialogue in turn order, with speakers and dialogue ids.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputDecodeError, InputNotFoundError, UnknownColumnError
from ..io.readers import read_table
from ..persistence import Task
from .labelled import LabelledTexts

MELD_LABELS = ["anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise"]
MELD_FILES = {"train": "train_sent_emo.csv", "dev": "dev_sent_emo.csv", "test": "test_sent_emo.csv"}
MELD_REQUIRED = ("Dialogue_ID", "Utterance_ID", "Speaker", "Utterance", "Emotion")
LICENCE = "MELD (Poria et al., ACL 2019), text of the utterances only; GPL-3.0"


def read_meld_file(path: Path) -> LabelledTexts:
    frame = read_table(str(path))
    missing = [c for c in MELD_REQUIRED if c not in frame.columns]
    if missing:
        raise UnknownColumnError(f"{path}: missing MELD column(s) {', '.join(missing)}; "
                                 f"columns are: {', '.join(map(str, frame.columns))}")
    unknown = sorted(set(frame["Emotion"].astype(str)) - set(MELD_LABELS))
    if unknown:
        raise InputDecodeError(f"{path}: unknown emotion label(s) {unknown}; expected {MELD_LABELS}")
    frame = frame.sort_values(["Dialogue_ID", "Utterance_ID"], kind="stable")
    speakers, texts, dialogues, gold = [], [], [], []
    for dialogue_id, turns in frame.groupby("Dialogue_ID", sort=False):
        speakers += turns["Speaker"].astype(str).tolist()
        texts += turns["Utterance"].fillna("").astype(str).tolist()
        dialogues += [str(dialogue_id)] * len(turns)
        gold += [MELD_LABELS.index(e) for e in turns["Emotion"].astype(str)]
    targets = np.eye(len(MELD_LABELS), dtype=np.float32)[np.asarray(gold, dtype=np.int64)]
    return LabelledTexts(texts, targets.reshape(-1, len(MELD_LABELS)), list(MELD_LABELS), Task.SINGLE_LABEL,
                         speakers=speakers, dialogues=dialogues)


def read_meld(data_dir: Path, split: str) -> LabelledTexts:
    path = Path(data_dir) / MELD_FILES[split]
    if not path.is_file():
        raise InputNotFoundError(f"{path}: MELD file not found")
    return read_meld_file(path)


def labelled_dialogues(turns: LabelledTexts) -> list[tuple[list[str], list[str], np.ndarray]]:
    """(speakers, texts, gold label index of each turn) of each dialogue, in order."""
    gold, out, start = turns.gold, [], 0
    for speakers, texts in turns.dialogue_turns():
        out.append((speakers, texts, gold[start:start + len(texts)]))
        start += len(texts)
    return out

