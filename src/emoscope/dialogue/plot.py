"""Plot each speaker's emotion and sentiment balance over the turns of one or more dialogues."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..errors import UnsupportedFormatError
from ..io.atomic import atomic_path

EMOTION_ORDER = ["anger", "disgust", "fear", "sadness", "neutral", "surprise", "joy"]


def dialogue_figure(result):
    """A two-row Plotly figure: emotion per turn, and sentiment balance per turn, one line per speaker."""
    import plotly.graph_objects as go
    from plotly.colors import qualitative
    from plotly.subplots import make_subplots

    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                           subplot_titles=("emotion", "sentiment balance (positive - negative)"))
    speakers = list(dict.fromkeys(t.speaker for t in result.turns))
    for number, speaker in enumerate(speakers):
        turns = [(i, t) for i, t in enumerate(result.turns) if t.speaker == speaker]
        x = [i + 1 for i, _ in turns]
        text = [t.text[:80] for _, t in turns]
        group = f"speaker-{number}"
        colour = qualitative.Plotly[number % len(qualitative.Plotly)]  # one colour per speaker, both panels
        style = dict(line=dict(color=colour), marker=dict(color=colour))
        figure.add_trace(go.Scatter(x=x, y=[t.emotion for _, t in turns], mode="lines+markers",
                                    name=speaker, legendgroup=group, text=text, **style,
                                    hovertemplate="turn %{x}: %{y}<br>%{text}<extra>" + speaker + "</extra>"),
                         row=1, col=1)
        figure.add_trace(go.Scatter(x=x, y=[t.sentiment_balance for _, t in turns], mode="lines+markers",
                                    name=speaker, legendgroup=group, legend="legend2", text=text, **style,
                                    hovertemplate="turn %{x}: %{y:.2f}<br>%{text}<extra>" + speaker + "</extra>"),
                         row=2, col=1)
    figure.update_yaxes(categoryorder="array", categoryarray=EMOTION_ORDER, type="category", row=1, col=1)
    figure.update_yaxes(range=[-1.05, 1.05], row=2, col=1)
    figure.update_xaxes(title_text="turn", row=2, col=1, dtick=1)
    # each panel has its own legend beside it (the second one used to have none)
    figure.update_layout(title=f"Dialogue {result.id}", height=560, margin=dict(t=70),
                         legend=dict(y=1.0, yanchor="top", title_text="emotion"),
                         legend2=dict(y=0.46, yanchor="top", title_text="sentiment"))
    return figure


def write_dialogue_plot(results: Sequence, path: str) -> None:
    """HTML (every dialogue, plotly.js embedded once) or, through kaleido, PNG/SVG (the first)."""
    suffix = Path(path).suffix.lower()
    if suffix not in (".html", ".htm", ".png", ".svg"):
        raise UnsupportedFormatError(f"{path}: plots are written as .html, .png or .svg")
    figures = [dialogue_figure(r) for r in results]
    with atomic_path(path) as temp:
        if suffix in (".html", ".htm"):
            body = "".join(
                f'<section class="dialogue" data-dialogue="{r.id}">'
                + f.to_html(full_html=False, include_plotlyjs=i == 0, div_id=f"dialogue-{i}",
                            config={"displaylogo": False}) + "</section>"
                for i, (r, f) in enumerate(zip(results, figures)))
            temp.write_text(f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
                            f"<title>emoscope dialogues</title></head><body>{body}</body></html>",
                            encoding="utf-8")
        else:
            try:
                figures[0].write_image(str(temp), format=suffix[1:])
            except (ImportError, ValueError) as exc:
                raise UnsupportedFormatError(
                    f"{path}: PNG/SVG plots need the kaleido package and a browser it can use ({exc}); "
                    f"write .html instead") from None
