"""Read dialogues from CSV / TSV / JSONL / Parquet with configurable column names.

Columns: dialogue id, turn order, speaker, text (and optionally a time).  The MELD CSV layout
(``Dialogue_ID``, ``Utterance_ID``, ``Speaker``, ``Utterance``) is recognised with no options;
otherwise the defaults are ``dialogue_id``, ``turn``, ``speaker``, ``text``, ``time``.  Without a
dialogue column the whole file is one dialogue; without a turn column the file order is the
turn order.

Handling of imperfect files (documented in the README):
- missing speaker or text column: :class:`UnknownColumnError` listing the columns;
- a turn with no text: kept, and labelled neutral with ``empty=True`` like any empty text;
- a turn with no speaker, or a turn id that is not a number: :class:`InputDecodeError` naming the row;
- the same turn id twice in a dialogue: :class:`InputDecodeError` naming dialogue and id;
- turn ids out of order: the turns are sorted by id and the dialogue says ``reordered=True``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from ..errors import InputDecodeError, UnknownColumnError
from ..io.readers import read_table

MELD_COLUMNS = {"dialogue": "Dialogue_ID", "turn": "Utterance_ID", "speaker": "Speaker",
                "text": "Utterance"}
DEFAULT_COLUMNS = {"dialogue": "dialogue_id", "turn": "turn", "speaker": "speaker", "text": "text",
                   "time": "time"}


@dataclass
class Turn:
    speaker: str
    text: str
    id: Optional[str] = None
    time: Optional[str] = None


@dataclass
class Dialogue:
    id: str
    turns: list[Turn] = field(default_factory=list)
    reordered: bool = False


def _clean(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def _turn_number(value, name: str, row: int) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputDecodeError(f"{name}: row {row}: turn id {value!r} is not a number") from None


def read_dialogues(path: str, *, dialogue_column: Optional[str] = None, turn_column: Optional[str] = None,
                   speaker_column: Optional[str] = None, text_column: Optional[str] = None,
                   time_column: Optional[str] = None, input_format: Optional[str] = None,
                   encoding: str = "utf-8") -> list[Dialogue]:
    """Dialogues in order of first appearance, each with its turns in turn order."""
    frame = read_table(path, input_format, encoding)
    name = "<stdin>" if path == "-" else path
    columns = list(map(str, frame.columns))
    meld = all(c in columns for c in MELD_COLUMNS.values())
    preset = MELD_COLUMNS if meld else DEFAULT_COLUMNS
    chosen = {"dialogue": dialogue_column, "turn": turn_column, "speaker": speaker_column,
              "text": text_column, "time": time_column}
    for role, given in chosen.items():
        if given is not None and given not in columns:
            raise UnknownColumnError(f"{name}: no {role} column {given!r}; columns are: {', '.join(columns)}")
        if given is None and preset.get(role) in columns:
            chosen[role] = preset[role]
    for role in ("speaker", "text"):
        if chosen[role] is None:
            raise UnknownColumnError(
                f"{name}: no {role} column (looked for {preset[role]!r}; pass --{role}-column); "
                f"columns are: {', '.join(columns) or '(none)'}")

    dialogues: dict[str, Dialogue] = {}
    order_keys: dict[str, list[float]] = {}
    for row, record in enumerate(frame.to_dict(orient="records"), start=1):
        speaker = _clean(record[chosen["speaker"]]).strip()
        if not speaker:
            raise InputDecodeError(f"{name}: row {row}: turn has no speaker ({chosen['speaker']!r} is empty)")
        dialogue_id = _clean(record[chosen["dialogue"]]) if chosen["dialogue"] else "1"
        dialogue = dialogues.setdefault(dialogue_id, Dialogue(dialogue_id))
        keys = order_keys.setdefault(dialogue_id, [])
        if chosen["turn"]:
            turn_id = _clean(record[chosen["turn"]])
            keys.append(_turn_number(turn_id, name, row))
        else:
            turn_id = str(len(dialogue.turns))
            keys.append(float(len(dialogue.turns)))
        dialogue.turns.append(Turn(speaker, _clean(record[chosen["text"]]), turn_id,
                                   _clean(record[chosen["time"]]) or None if chosen["time"] else None))
    for dialogue_id, dialogue in dialogues.items():
        keys = order_keys[dialogue_id]
        seen: set = set()
        twice = next((k for k in keys if k in seen or seen.add(k)), None)
        if twice is not None:
            raise InputDecodeError(f"{name}: dialogue {dialogue_id!r} has turn id {twice:g} more than once")
        if keys != sorted(keys):
            order = sorted(range(len(keys)), key=keys.__getitem__)
            dialogue.turns = [dialogue.turns[i] for i in order]
            dialogue.reordered = True
    return list(dialogues.values())
