"""``emoscope labels``: the model's labels and the category each rollup puts them in."""

from __future__ import annotations

import json
from typing import List, Optional

import typer

from .app import JsonOption, ModelOption, RollupOption, app, console


@app.command()
def labels(
    rollup: Optional[List[str]] = RollupOption,
    as_json: bool = JsonOption,
    model: Optional[str] = ModelOption,
) -> None:
    """List the model's labels and the category each rollup puts them in."""
    from rich.table import Table

    from ..persistence import read_labels, resolve_model_dir
    from ..taxonomy import load_rollup
    from ..text.model import DEFAULT_MODEL

    rollups = [load_rollup(r) for r in (rollup or ["ekman", "sentiment"])]
    fine = read_labels(resolve_model_dir(model, DEFAULT_MODEL))
    for r in rollups:
        r.check_labels(fine)
    rows = [{"label": label, **{r.name: next((c for c, m in r.mapping.items() if label in m), "")
                                for r in rollups}} for label in fine]
    if as_json:
        typer.echo(json.dumps({"labels": fine, "rollups": {r.name: r.to_dict()["mapping"] for r in rollups}},
                              indent=2))
        return
    table = Table(title=f"{len(fine)} labels", title_justify="left")
    for column in rows[0]:
        table.add_column(column)
    for row in rows:
        table.add_row(*row.values())
    console().print(table)
