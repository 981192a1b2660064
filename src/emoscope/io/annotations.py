"""The columns ``emoscope analyze`` adds to a table, from a list of results.

Results are duck-typed (``labels``, ``scores``, ``empty``, ``vad``, ``intensity``, ``values``,
``rollup()``), so this module needs no model.
"""

from __future__ import annotations

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


def annotation_columns(results, rollups: Sequence = ("ekman", "sentiment"), scores: bool = True,
                       prefix: str = "") -> dict[str, list]:
    """The columns ``analyze`` adds for a list of :class:`~emoscope.model.EmotionResult`."""
    columns: dict[str, list] = {
        f"{prefix}emotions": [";".join(r.labels) for r in results],
        f"{prefix}top_emotion": [r.top(1)[0][0] if r.scores else "" for r in results],
        f"{prefix}top_score": [round(r.top(1)[0][1], 6) if r.scores else 0.0 for r in results],
    }
    for spec in rollups:
        rolled = [r.rollup(spec) for r in results]
        name = rolled[0].name if rolled else str(spec)
        columns[f"{prefix}{name}"] = [";".join(x.labels) for x in rolled]
    columns[f"{prefix}empty_text"] = [r.empty for r in results]
    if results and results[0].vad is not None:  # a model with heads: VAD 1-5, intensity 0-3
        for name in ("valence", "arousal", "dominance"):
            columns[f"{prefix}{name}"] = [round(getattr(r.vad, name), 4) for r in results]
    if results and results[0].intensity:
        for emotion in results[0].intensity:
            columns[f"{prefix}intensity_{emotion}"] = [round(r.intensity[emotion], 4) for r in results]
    if results and results[0].values:  # a regression model
        for name in results[0].values:
            columns[f"{prefix}value_{name}"] = [round(r.values[name], 6) for r in results]
    if scores and results:
        for label in results[0].scores:
            columns[f"{prefix}score_{label}"] = [round(r.scores[label], 6) for r in results]
    return columns


def annotate_frame(model, frame: "pd.DataFrame", text_column: Optional[str], name: str, rollups: Sequence,
                   scores: bool, prefix: str = "") -> "pd.DataFrame":
    """The frame with emotion columns appended (replacing input columns of the same name)."""
    import pandas as pd

    texts = text_column_values(frame, text_column, name)
    added = pd.DataFrame(annotation_columns(model.predict(texts), rollups, scores, prefix),
                         index=frame.index)
    return pd.concat([frame.drop(columns=[c for c in added.columns if c in frame.columns]), added], axis=1)
