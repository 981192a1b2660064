"""``emoscope report``: one self-contained HTML file of charts from an annotated file."""

from __future__ import annotations

from typing import Optional

import typer

from .app import app, console, require_extra


@app.command()
def report(
    annotated: str = typer.Argument(..., help="A CSV, JSONL or Parquet file written by emoscope analyze."),
    output: str = typer.Option(..., "--output", "-o", help="HTML file to write."),
    by: Optional[str] = typer.Option(None, "--by", help="Compare groups of this column."),
    time: Optional[str] = typer.Option(None, "--time", help="Plot emotions over this date/time column."),
    title: Optional[str] = typer.Option(None, "--title", help="Report title."),
) -> None:
    """Draw a corpus report: one self-contained HTML file of charts (no network needed to view)."""
    require_extra("report", "report", ("plotly",))
    from ..report import write_report

    charts = write_report(annotated, output, by=by, time_column=time, title=title)
    console(stderr=True).print(f"wrote {output}: " + ", ".join(c.title for c in charts))
