"""A corpus report: one self-contained HTML file of Plotly charts built from ``analyze`` output.

Charts: the share of texts with each emotion (and each Ekman category when that column exists),
which emotions occur together, a valence–arousal scatter when the table has ``valence`` and
``arousal`` columns, emotions over time (``time_column``) and across groups (``by``).  plotly.js
is embedded once in the file, so the report opens with no network.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from .errors import InputDecodeError, UnknownColumnError
from .io.atomic import atomic_path
from .io.readers import read_table
from .io.tables import INPUT_FORMATS, detect_format

EMOTIONS = "labels"
SCORE_PREFIX = "score_"
SCATTER_POINTS = 5000
TOP_GROUPS = 15
TOP_EMOTIONS_OVER_TIME = 6


@dataclass
class ReportChart:
    title: str
    description: str
    figure: object  # plotly.graph_objects.Figure


def read_annotations(path: str, by: Optional[str] = None, time_column: Optional[str] = None):
    """Read the columns a report needs from a CSV, JSONL or Parquet file written by ``analyze``."""
    import pandas as pd

    fmt = detect_format(path, None, INPUT_FORMATS, "input")
    wanted = lambda c: (c in (EMOTIONS, "ekman", "sentiment", "top_label", "valence", "arousal",
                              "dominance", by, time_column) or str(c).startswith(SCORE_PREFIX))
    if fmt == "parquet" and Path(path).is_file():
        import pyarrow.parquet as pq

        try:
            names = pq.read_schema(path).names
            frame = pd.read_parquet(path, columns=[c for c in names if wanted(c)])
        except Exception as exc:  # pyarrow raises several types for corrupt files
            raise InputDecodeError(f"{path}: not a readable Parquet file: {exc}") from None
    else:
        frame = read_table(path)
        frame = frame[[c for c in frame.columns if wanted(c)]]
    if EMOTIONS not in frame.columns:
        raise UnknownColumnError(f"{path}: no {EMOTIONS!r} column; give a file written by emoscope analyze")
    for column, option in ((by, "--by"), (time_column, "--time")):
        if column is not None and column not in frame.columns:
            raise UnknownColumnError(f"{path}: no column {column!r} for {option}")
    return frame


def _label_matrix(values, known: Sequence[str] = ()) -> tuple[list[str], np.ndarray]:
    """``;``-joined label cells as a (rows, labels) boolean matrix; ``known`` labels come first,
    in their order, then any others found, sorted."""
    labels = list(known)
    rows = [set(str(v).split(";")) if isinstance(v, str) and v else set() for v in values]
    seen = sorted(set().union(*rows)) if rows else []
    labels += [l for l in seen if l not in labels]
    index = {l: i for i, l in enumerate(labels)}
    matrix = np.zeros((len(rows), len(labels)), dtype=bool)
    for r, row in enumerate(rows):
        for label in row:
            matrix[r, index[label]] = True
    return labels, matrix


def _distribution(labels, matrix, title: str, description: str) -> ReportChart:
    import plotly.graph_objects as go

    share = matrix.mean(axis=0) if len(matrix) else np.zeros(len(labels))
    order = np.argsort(-share, kind="stable")
    figure = go.Figure(go.Bar(x=[labels[i] for i in order], y=share[order] * 100,
                              customdata=matrix.sum(axis=0)[order],
                              hovertemplate="%{x}: %{y:.1f}% of texts (%{customdata})<extra></extra>"))
    figure.update_layout(yaxis_title="% of texts", margin=dict(t=20))
    return ReportChart(title, description, figure)


def _cooccurrence(labels, matrix) -> ReportChart:
    import plotly.graph_objects as go

    counts = matrix.T.astype(np.int64) @ matrix.astype(np.int64)
    present = np.flatnonzero(np.diag(counts) > 0)
    counts = counts[np.ix_(present, present)]
    names = [labels[i] for i in present]
    with np.errstate(invalid="ignore", divide="ignore"):
        given = np.where(np.diag(counts)[:, None] > 0, counts / np.diag(counts)[:, None], 0.0)
    figure = go.Figure(go.Heatmap(z=given * 100, x=names, y=names, customdata=counts, colorscale="Blues",
                                  hovertemplate="%{customdata} texts with %{y} also have %{x} "
                                                "(%{z:.1f}%)<extra></extra>"))
    figure.update_layout(height=max(400, 22 * len(names) + 120), margin=dict(t=20),
                         yaxis=dict(autorange="reversed"))
    return ReportChart("Emotions that occur together",
                       "Row emotion → share of its texts that also carry the column emotion "
                       "(the diagonal is 100%).", figure)


def _valence_arousal(frame) -> ReportChart:
    import plotly.graph_objects as go

    sample = frame if len(frame) <= SCATTER_POINTS else frame.sample(SCATTER_POINTS, random_state=0)
    colour = sample["top_label"] if "top_label" in sample.columns else None
    figure = go.Figure()
    groups = colour.fillna("").unique() if colour is not None else [None]
    for group in groups:
        part = sample if group is None else sample[colour == group]
        figure.add_trace(go.Scattergl(x=part["valence"], y=part["arousal"], mode="markers",
                                      name=group or "texts", marker=dict(size=5, opacity=0.6)))
    figure.update_layout(xaxis_title="valence", yaxis_title="arousal", margin=dict(t=20))
    shown = f"a random {SCATTER_POINTS:,} of {len(frame):,} texts" if len(frame) > SCATTER_POINTS else "every text"
    return ReportChart("Valence and arousal", f"One point per text ({shown}), coloured by top emotion.",
                       figure)


def _period(span) -> tuple[str, str]:
    days = span.total_seconds() / 86400
    if days > 3 * 365:
        return "YS", "year"
    if days > 120:
        return "MS", "month"
    if days > 21:
        return "W", "week"
    if days > 2:
        return "D", "day"
    return "h", "hour"


def _over_time(frame, labels, matrix, column: str) -> ReportChart:
    import pandas as pd
    import plotly.graph_objects as go

    when = pd.to_datetime(frame[column], errors="coerce", utc=True, format="mixed")
    valid = when.notna().to_numpy()
    if not valid.any():
        first = frame[column].iloc[0] if len(frame) else ""
        raise InputDecodeError(f"--time {column}: no value could be read as a date or time "
                               f"(first value: {first!r})")
    freq, unit = _period(when[valid].max() - when[valid].min())
    shares = pd.DataFrame(matrix[valid], columns=labels, index=when[valid]).resample(freq).mean() * 100
    top = [labels[i] for i in np.argsort(-matrix[valid].mean(axis=0), kind="stable")[:TOP_EMOTIONS_OVER_TIME]]
    figure = go.Figure([go.Scatter(x=shares.index, y=shares[label], mode="lines+markers", name=label)
                        for label in top])
    figure.update_layout(yaxis_title=f"% of texts per {unit}", margin=dict(t=20))
    dropped = f" {int((~valid).sum())} rows without a readable time are left out." if (~valid).any() else ""
    return ReportChart("Emotions over time",
                       f"Share of texts per {unit} with each of the {len(top)} most frequent emotions "
                       f"(column {column!r}).{dropped}", figure)


def _by_group(frame, labels, matrix, column: str) -> ReportChart:
    import pandas as pd
    import plotly.graph_objects as go

    groups = frame[column].astype("string").fillna("(missing)").to_numpy()
    sizes = pd.Series(groups).value_counts()
    shown = list(sizes.index[:TOP_GROUPS])
    rows = [matrix[groups == g].mean(axis=0) * 100 for g in shown]
    figure = go.Figure(go.Heatmap(z=rows, x=labels, y=[f"{g} ({sizes[g]})" for g in shown],
                                  colorscale="Viridis",
                                  hovertemplate="%{y}: %{z:.1f}% %{x}<extra></extra>"))
    figure.update_layout(height=max(350, 28 * len(shown) + 150), margin=dict(t=20))
    more = f" The {TOP_GROUPS} largest of {len(sizes)} groups." if len(sizes) > TOP_GROUPS else ""
    return ReportChart(f"Emotions by {column}",
                       f"Share of each group's texts (group size in brackets) with each emotion.{more}",
                       figure)


def _fine_labels(frame) -> tuple[list[str], np.ndarray]:
    """The fine labels of ``emotions``, in the model's order (that of its score columns)."""
    order = [c[len(SCORE_PREFIX):] for c in frame.columns if str(c).startswith(SCORE_PREFIX)]
    return _label_matrix(frame[EMOTIONS], order)


def build_charts(frame, by: Optional[str] = None, time_column: Optional[str] = None,
                 fine: Optional[tuple[list[str], np.ndarray]] = None) -> list[ReportChart]:
    """The report's charts; ``fine`` is ``_fine_labels(frame)`` when the caller has it already."""
    labels, matrix = fine or _fine_labels(frame)
    charts = [_distribution(labels, matrix, "Emotion distribution",
                            "Share of texts predicted to express each emotion (a text can have several).")]
    if "ekman" in frame.columns:
        charts.append(_distribution(*_label_matrix(frame["ekman"]), "Ekman categories",
                                    "The same texts rolled up to Ekman's six emotions and neutral."))
    charts.append(_cooccurrence(labels, matrix))
    if {"valence", "arousal"} <= set(frame.columns):
        charts.append(_valence_arousal(frame))
    if time_column:
        charts.append(_over_time(frame, labels, matrix, time_column))
    if by:
        charts.append(_by_group(frame, labels, matrix, by))
    return charts


def render_report(charts: list[ReportChart], title: str, summary: str) -> str:
    parts = []
    for number, chart in enumerate(charts):
        div = chart.figure.to_html(full_html=False, include_plotlyjs=number == 0,
                                   div_id=f"chart-{number}", config={"displaylogo": False})
        parts.append(f'<section class="chart" data-title="{html.escape(chart.title)}">'
                     f"<h2>{html.escape(chart.title)}</h2><p>{html.escape(chart.description)}</p>"
                     f"{div}</section>")
    style = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;"
             "color:#222}h1{margin-bottom:.2em}p{color:#555}section{margin:2.5em 0}")
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
            f"</title><style>{style}</style></head><body><h1>{html.escape(title)}</h1>"
            f"<p>{html.escape(summary)}</p>{''.join(parts)}</body></html>")


def write_report(path: str, output: str, by: Optional[str] = None, time_column: Optional[str] = None,
                 title: Optional[str] = None) -> list[ReportChart]:
    """Read an ``analyze`` output and write the HTML report atomically; return its charts."""
    frame = read_annotations(path, by, time_column)
    labels, matrix = _fine_labels(frame)
    charts = build_charts(frame, by, time_column, (labels, matrix))
    top = ", ".join(f"{labels[i]} {matrix[:, i].mean() * 100:.1f}%"
                    for i in np.argsort(-matrix.mean(axis=0), kind="stable")[:3]) if len(frame) else "none"
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    summary = f"{len(frame):,} texts from {Path(path).name}; most frequent: {top}. Generated {stamp} by emoscope."
    document = render_report(charts, title or f"Emotions in {Path(path).name}", summary)
    with atomic_path(output) as temp:
        temp.write_text(document, encoding="utf-8")
    return charts
