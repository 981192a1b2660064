"""``emoscope dialogue``: label every turn of dialogues and show how emotions move between speakers."""

from __future__ import annotations

import json
from typing import Optional

import typer

from .app import ModelOption, ThreadsOption, app, console, require_extra


def _rate(value) -> str:
    return "–" if value is None else f"{value:.2f}"


def show_dialogues(results, corpus) -> None:
    from rich.markup import escape
    from rich.table import Table

    out = console()
    for result in results:
        table = Table(title=f"dialogue {escape(result.id)}" + (" (turns re-sorted by id)" if result.reordered else ""),
                      title_justify="left", show_edge=False, pad_edge=False)
        for column in ("#", "speaker", "emotion", "fine labels", "text"):
            table.add_column(column, overflow="fold" if column == "text" else "ellipsis")
        shifted = {s["turn"] for s in result.dynamics.shifts}
        for number, turn in enumerate(result.turns):
            emotion = f"[bold]{turn.emotion}[/]" + (" [yellow]↺[/]" if number in shifted else "")
            table.add_row(str(number + 1), escape(turn.speaker), emotion, ", ".join(turn.result.labels),
                          escape(turn.text[:120]))
        out.print(table)
        out.print(f"  inertia {_rate(result.dynamics.inertia)}, contagion {_rate(result.dynamics.contagion)}, "
                  f"{len(result.dynamics.shifts)} shifts  [dim](↺ = the speaker's emotion changed)[/]\n")
    summary = Table(title=f"{len(results)} dialogues, {sum(len(r.turns) for r in results)} turns",
                    title_justify="left", show_edge=False, pad_edge=False)
    for column in ("speaker", "turns", "shifts", "inertia", "contagion"):
        summary.add_column(column, justify="left" if column == "speaker" else "right")
    ranked = sorted(corpus.speakers.values(), key=lambda s: -s.turns)
    for s in ranked[:15]:
        summary.add_row(escape(s.speaker), str(s.turns), str(s.shifts), _rate(s.inertia), _rate(s.contagion))
    summary.add_row("[bold]all speakers[/]", str(sum(s.turns for s in ranked)), str(sum(s.shifts for s in ranked)),
                    _rate(corpus.inertia), _rate(corpus.contagion))
    out.print(summary)


@app.command()
def dialogue(
    path: str = typer.Argument(..., help="CSV, TSV, JSONL or Parquet file of turns (MELD CSV works as is)."),
    dialogue_column: Optional[str] = typer.Option(None, help="Dialogue id column (default dialogue_id; MELD: Dialogue_ID)."),
    turn_column: Optional[str] = typer.Option(None, help="Turn order column (default turn; MELD: Utterance_ID)."),
    speaker_column: Optional[str] = typer.Option(None, help="Speaker column (default speaker; MELD: Speaker)."),
    text_column: Optional[str] = typer.Option(None, help="Text column (default text; MELD: Utterance)."),
    time_column: Optional[str] = typer.Option(None, help="Optional time column (default time)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (turns, labels, dynamics) instead of tables."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write one row per turn (CSV, JSONL or Parquet)."),
    plot: Optional[str] = typer.Option(None, "--plot", help="Draw each speaker's emotion and sentiment over turns (.html, .png, .svg)."),
    limit: Optional[int] = typer.Option(None, "--limit", min=0, help="Analyse only the first N dialogues (in file order)."),
    encoding: str = typer.Option("utf-8", "--encoding", help="Encoding of the file (a UTF-8 byte-order mark is dropped)."),
    context_model: Optional[str] = typer.Option(None, help="Context-aware turn model (name or directory; default: the shipped meld-context-minilm)."),
    no_context: bool = typer.Option(False, "--no-context", help="Take each turn's emotion from the fine-grained model's Ekman rollup, turn by turn, without context."),
    model: Optional[str] = ModelOption,
    threads: Optional[int] = ThreadsOption,
) -> None:
    """Label every turn of dialogues and show how emotions move between speakers."""
    from ..dialogue import analyze_dialogues, corpus_dynamics, read_dialogues, resolve_context_model
    from ..text.model import EmotionModel

    from ..io.atomic import check_output_path
    from ..io.readers import check_encoding

    dialogues = read_dialogues(path, dialogue_column=dialogue_column, turn_column=turn_column,
                               speaker_column=speaker_column, text_column=text_column, time_column=time_column,
                               encoding=check_encoding(encoding))[:limit]
    for target in filter(None, (output, plot)):
        check_output_path(target)
    if plot:
        require_extra("--plot", "report", ("plotly",))
    loaded = EmotionModel.load(model, num_threads=threads)
    contextual = None if no_context else resolve_context_model(context_model, threads)
    results = list(analyze_dialogues(loaded, dialogues, context_model=contextual or False))
    corpus = corpus_dynamics(r.dynamics for r in results)
    if output:
        import pandas as pd

        from ..io.tables import write_table

        from ..io.annotations import flat_record

        # the one result schema, flat (docs/results.md), after the dialogue, turn and speaker
        rows = [{"dialogue": r.id, "turn": t.id, **flat_record({k: v for k, v in t.to_dict().items() if k != "id"})}
                for r in results for t in r.turns]
        write_table(pd.DataFrame(rows), output)
    if plot:
        from ..dialogue.plot import write_dialogue_plot

        write_dialogue_plot(results, plot)
    if as_json:
        typer.echo(json.dumps({"dialogues": [r.to_dict() for r in results],
                               "corpus": {k: v for k, v in corpus.to_dict().items() if k != "shifts"}},
                              indent=2, ensure_ascii=False))
    else:
        show_dialogues(results, corpus)
    for written in filter(None, (output, plot)):
        console(stderr=True).print(f"wrote {written}")
