"""The columns ``emoscope analyze`` adds to a table, from a list of results.

Results are duck-typed (``labels``, ``scores``, ``empty``, ``vad``, ``intensity``, ``values``,
``rollup()``), so this module needs no model.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Optional, Sequence

from ..errors import UnknownColumnError
from .tables import TEXT_COLUMN_OF_TXT

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def text_column_values(frame: "pd.DataFrame", column: Optional[str], name: str) -> list[str]:
    if column is None:
        if TEXT_COLUMN_OF_TXT in frame.columns:
            column = TEXT_COLUMN_OF_TXT
        else:
            raise UnknownColumnError(
                f"{name}: say which column holds the text with --text-column; columns are: "
                f"{', '.join(map(str, frame.columns)) or '(none)'}")
    if column not in frame.columns:
        raise UnknownColumnError(
            f"{name}: no column {column!r}; columns are: {', '.join(map(str, frame.columns)) or '(none)'}")
    return ["" if v is None or (isinstance(v, float) and v != v) else str(v)
            for v in frame[column].tolist()]


# Nested fields of a result and the prefix their keys take in a flat row (files, Spark):
# scores.joy -> score_joy, vad.valence -> valence, ekman.scores.joy -> ekman_score_joy.
FLAT_PREFIXES = {"scores": "score_", "values": "value_", "vad": "", "intensity": "intensity_"}
LIST_SEPARATOR = ";"


def flat_record(result: dict, scores: bool = True) -> dict:
    """One row of a table from :meth:`EmotionResult.to_dict`'s data: lists joined with ``;`` (in
    score order), nested mappings spread into prefixed columns, per-label scores kept only with
    ``scores``.  The one mapping between the JSON and the table form (docs/results.md); score
    columns come last."""
    row: dict = {}
    score_columns: dict = {}
    for key, value in result.items():
        if isinstance(value, list):
            row[key] = LIST_SEPARATOR.join(value)
        elif key in FLAT_PREFIXES:
            if key != "scores" or scores:
                (score_columns if key == "scores" else row).update(
                    {FLAT_PREFIXES[key] + k: v for k, v in value.items()})
        elif isinstance(value, dict) and "labels" in value:  # a rollup
            row[key] = LIST_SEPARATOR.join(value["labels"])
            if scores:
                score_columns.update({f"{key}_score_{k}": v for k, v in value["scores"].items()})
        else:
            row[key] = value
    return {**row, **score_columns}


def annotation_columns(results, rollups: Sequence = ("ekman", "sentiment"), scores: bool = True,
                       prefix: str = "") -> dict[str, list]:
    """The columns ``analyze`` adds for a list of :class:`~emoscope.text.results.EmotionResult`:
    each result's JSON form flattened (:func:`flat_record`), the text left
    out (the input has it).  Columns are those of the first result (one model: all alike)."""
    rows = [flat_record(r.to_dict(rollups), scores) for r in results]
    names = [k for k in rows[0] if k != "text"] if rows else []
    return {f"{prefix}{name}": [row.get(name) for row in rows] for name in names}


def cap_texts(texts: list[str], max_chars: Optional[int], name: str) -> list[str]:
    """Texts longer than ``max_chars`` cut to their first ``max_chars`` characters, with a warning
    on standard error (a cell of megabytes would otherwise run for many minutes)."""
    if not max_chars:
        return texts
    long = [i for i, t in enumerate(texts) if len(t) > max_chars]
    if long:
        print(f"warning: {name}: {len(long)} text(s) over {max_chars:,} characters cut to their first "
              f"{max_chars:,} (--max-chars)", file=sys.stderr)
    return [t[:max_chars] for t in texts] if long else texts


_WARNED: set = set()


def annotate_frame(model, frame: "pd.DataFrame", text_column: Optional[str], name: str, rollups: Sequence,
                   scores: bool, prefix: str = "", max_chars: Optional[int] = None) -> "pd.DataFrame":
    """The frame with emotion columns appended (replacing input columns of the same name)."""
    import pandas as pd

    texts = cap_texts(text_column_values(frame, text_column, name), max_chars, name)
    added = pd.DataFrame(annotation_columns(model.predict(texts), rollups, scores, prefix),
                         index=frame.index)
    replaced = [c for c in added.columns if c in frame.columns]
    if replaced and (name, tuple(replaced)) not in _WARNED:  # once per file, not per chunk
        _WARNED.add((name, tuple(replaced)))
        print(f"warning: {name}: input column(s) {', '.join(map(str, replaced))} replaced by emoscope's "
              f"output of the same name", file=sys.stderr)
    return pd.concat([frame.drop(columns=replaced), added], axis=1)
