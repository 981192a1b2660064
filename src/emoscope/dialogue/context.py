"""How a turn and the turns before it become one model input.

Training and inference both go through :func:`contextual_inputs`, so the context model always
sees the layout it was trained on::

    "Speaker: current turn [SEP] Previous speaker: previous turn | Earlier speaker: earlier turn"

The current turn comes first and the context follows, nearest turn first, so when the input is cut
at the model's token limit it is the oldest context that is lost, never the turn being labelled.
"""

from __future__ import annotations

from typing import Sequence

CONTEXT_SEPARATOR = " [SEP] "
TURN_SEPARATOR = " | "

# MELD (and text pasted from Windows tools) carries UTF-8 punctuation decoded as cp1252.
_MOJIBAKE = {"\u00e2\u20ac\u2122": "'", "\u00e2\u20ac\u02dc": "'", "\u00e2\u20ac\u0153": '"',
             "\u00e2\u20ac\u009d": '"', "\u00e2\u20ac\u201d": "-", "\u00e2\u20ac\u201c": "-",
             "\u00e2\u20ac\u00a6": "...", "\u0092": "'", "\u0091": "'", "\u0093": '"',
             "\u0094": '"', "\u0097": "-", "\u0096": "-", "\u0085": "..."}


def repair_text(text: str) -> str:
    """Undo the common cp1252 mis-decodings of curly quotes, dashes and ellipses."""
    if "\u00e2" in text or any("\u0080" <= ch <= "\u009f" for ch in text):
        for bad, good in _MOJIBAKE.items():
            text = text.replace(bad, good)
    return text


def _turn(speaker: str, text: str) -> str:
    return f"{speaker}: {repair_text(text).strip()}"


def contextual_inputs(speakers: Sequence[str], texts: Sequence[str], context_turns: int) -> list[str]:
    """One input string per turn of a dialogue: the turn, then up to ``context_turns`` earlier
    turns (nearest first), each prefixed with its speaker."""
    if context_turns < 0:
        raise ValueError(f"context_turns must be >= 0, got {context_turns}")
    turns = [_turn(s, t) for s, t in zip(speakers, texts)]
    out = []
    for index, current in enumerate(turns):
        earlier = turns[max(0, index - context_turns):index][::-1] if context_turns else []
        out.append(current + (CONTEXT_SEPARATOR + TURN_SEPARATOR.join(earlier) if earlier else ""))
    return out
