"""``emoscope evaluate``: score a model on a labelled dataset (the numbers its model card quotes)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..evaluate import EVALUATIONS, EvaluationOptions, describe, evaluate_dataset
from .app import JsonOption, ModelOption, ThreadsOption, app, print_sections, write_json_report

DATASET_HELP = "Dataset: " + "; ".join(f"{name} ({e.help})" for name, e in EVALUATIONS.items()) + "."


@app.command()
def evaluate(
    dataset: str = typer.Option("goemotions", help=DATASET_HELP),
    data: Path = typer.Option(..., help="The dataset's folder, or its file (emobank.csv, a table)."),
    text_column: str = typer.Option("text", help="table: the text column."),
    label_column: Optional[str] = typer.Option(None, help="table, single-label model: the column holding each row's label (multi-label and regression models read one column per label/target)."),
    split: Optional[str] = typer.Option(None, help="Split: train, dev or test (default: test; dev for intensity and semeval-a, whose test labels are not public; FER+'s valid is dev)."),
    language: Optional[List[str]] = typer.Option(None, "--language", help="semeval-a: only this language (file stem, e.g. deu); repeatable. Default: every language for a model of the track A emotions, English for a model of other labels (scored through its Ekman rollup)."),
    report: Optional[Path] = typer.Option(None, "--report", help="Write the full JSON report here."),
    as_json: bool = JsonOption,
    model: Optional[str] = ModelOption,
    threads: Optional[int] = ThreadsOption,
) -> None:
    """Score a model on a labelled dataset: per-label table, macro/micro F1, rollups, Pearson r."""
    options = EvaluationOptions(num_threads=threads, languages=tuple(language or ()), text_column=text_column,
                                label_column=label_column)
    payload = evaluate_dataset(dataset, data, split=split, model=model, options=options)
    if write_json_report(payload, report, as_json):
        return
    print_sections(describe(payload))
