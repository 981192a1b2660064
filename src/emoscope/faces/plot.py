"""One Plotly chart of a video's timeline: a row per tracked face and a row for the voice, each
stretch coloured by its expression or emotion."""

from __future__ import annotations

from pathlib import Path

from ..errors import UnsupportedFormatError
from ..io.atomic import atomic_path


def timeline_figure(timeline):
    """Horizontal bars: y is the track (``face 1`` ... then ``voice``), x the time in seconds."""
    import plotly.graph_objects as go
    from plotly.colors import qualitative

    rows = timeline.rows()
    labels = list(dict.fromkeys(r["top_label"] for r in rows))
    palette = qualitative.Plotly + qualitative.Safe
    figure = go.Figure()
    for number, label in enumerate(labels):  # one trace per label: one legend entry, one colour
        mine = [r for r in rows if r["top_label"] == label]
        hover = [f"{r['track']} {r['start']:.1f}-{r['end']:.1f} s: {label} {r['top_score']:.2f}"
                 + (f"<br>{r['text'][:80]}" if r.get("text") else "") for r in mine]
        figure.add_trace(go.Bar(y=[r["track"] for r in mine], x=[r["end"] - r["start"] for r in mine],
                                base=[r["start"] for r in mine], orientation="h", name=label,
                                marker_color=palette[number % len(palette)], hovertext=hover,
                                hoverinfo="text"))
    order = list(timeline.tracks) + (["voice"] if timeline.voice is not None else [])
    figure.update_yaxes(categoryorder="array", categoryarray=list(reversed(order)), type="category")
    figure.update_xaxes(title_text="seconds", range=[0, max(timeline.duration, 1e-3)])
    figure.update_layout(title=f"{Path(timeline.source).name}: expression and voice over time", barmode="overlay",
                         height=180 + 60 * max(len(order), 1), legend_title_text="emotion")
    return figure


def write_timeline_plot(timeline, path: str) -> None:
    """A self-contained HTML page (plotly.js embedded: it opens offline)."""
    check_plot_path(path)
    html = timeline_figure(timeline).to_html(include_plotlyjs=True, config={"displaylogo": False})
    with atomic_path(path) as temp:
        temp.write_text(html, encoding="utf-8")


def check_plot_path(path: str) -> None:
    if Path(path).suffix.lower() not in (".html", ".htm"):
        raise UnsupportedFormatError(f"{path}: the video timeline is plotted as .html")
