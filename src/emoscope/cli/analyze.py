"""``emoscope analyze``: which emotions texts express, as a table, JSON or an annotated file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from ..batch import DEFAULT_CHUNK_ROWS
from ..errors import Interrupted, UsageError
from ..io.annotations import cap_texts
from ..io.readers import check_encoding
from .app import ModelOption, RollupOption, ThreadsOption, app, column_list, command_line, console

DEFAULT_MAX_CHARS = 100_000  # about 20,000 words; the server's default limit is 10,000 per text


def _bar(score: float, width: int = 20) -> str:
    filled = int(round(score * width))
    return "█" * filled + "░" * (width - filled)


def show_results(results, rollups, top_k: int) -> None:
    from rich.markup import escape
    from rich.table import Table

    out = console()
    for result in results:
        title = result.text if len(result.text) < 100 else result.text[:97] + "..."
        table = Table(title=escape(title) if title.strip() else "(empty text)",
                      title_justify="left", show_edge=False, pad_edge=False)
        table.add_column("emotion")
        table.add_column("score", justify="right")
        table.add_column("", no_wrap=True)
        if result.values:
            table.columns[0].header, table.columns[1].header = "target", "value"
            for name, value in result.values.items():
                table.add_row(escape(name), f"{value:.3f}", "")
            out.print(table)
            out.print()
            continue
        shown = result.top(top_k)
        shown += [(l, result.scores[l]) for l in result.labels if l not in dict(shown)]
        for label, score in shown:
            mark = "[bold green]✓[/]" if label in result.labels else " "
            table.add_row(f"{mark} {label}", f"{score:.3f}", _bar(score))
        out.print(table)
        out.print(f"  [bold]predicted:[/] {', '.join(result.labels)}"
                  + ("  [yellow](empty text)[/]" if result.empty else ""))
        for spec in rollups:
            rolled = result.rollup(spec)
            best = ", ".join(f"{c} {s:.2f}" for c, s in rolled.top(3))
            out.print(f"  [bold]{escape(rolled.name)}:[/] {', '.join(rolled.labels)}  [dim]({best})[/]")
        if result.vad is not None:  # kept under 80 columns
            v = result.vad
            out.print(f"  [bold]VAD (1-5):[/] valence {v.valence:.2f}, arousal {v.arousal:.2f}, "
                      f"dominance {v.dominance:.2f}")
        if result.intensity:
            out.print("  [bold]intensity (0-3):[/] " + ", ".join(
                f"{e} {v:.1f}" for e, v in sorted(result.intensity.items(), key=lambda kv: -kv[1])))
        out.print()


def show_explanations(explanations, as_json: bool) -> None:
    """Each text with the words of each predicted emotion highlighted (green supports it, red
    speaks against it; brighter = larger weight)."""
    from rich.markup import escape
    from rich.text import Text

    if as_json:
        typer.echo(json.dumps([e.to_dict() for e in explanations], indent=2, ensure_ascii=False))
        return
    out = console()
    for e in explanations:
        out.print(f"[bold]{escape(e.text[:100])}[/]")
        for label, words in e.evidence.items():
            line = Text(f"  {label} {e.scores[label]:.2f}: ")
            scale = max((abs(w.weight) for w in words), default=0.0) or 1.0
            cursor = 0
            for w in words:
                line.append(e.text[cursor:w.start])
                strength = abs(w.weight) / scale
                colour = "green" if w.weight > 0 else "red"
                style = f"bold {colour}" if strength > 0.5 else colour if strength > 0.15 else ""
                line.append(e.text[w.start:w.end], style=style)
                cursor = w.end
            line.append(e.text[cursor:])
            out.print(line)
            top = ", ".join(f"{w.word} {w.weight:+.2f}" for w in e.top(label))
            out.print(f"    [dim]top evidence: {escape(top) or '(none)'}[/]")
        out.print()


def load_label_model(model: Optional[str], threads: Optional[int], batch_size: Optional[int] = None,
                     language: Optional[str] = None):
    from ..text.model import EmotionModel

    loaded = EmotionModel.load(model, num_threads=threads, batch_size=batch_size)
    return loaded.for_language(language) if language else loaded


def zero_shot_model(labels: Optional[str], descriptions: Optional[Path], threads: Optional[int]):
    from ..text.zeroshot import DEFAULT_TEMPLATE, ZeroShotClassifier, read_label_descriptions

    given = read_label_descriptions(descriptions) if descriptions else {}
    names = column_list(labels) or ()
    if labels is not None and not names:
        raise UsageError("--labels needs at least one label, e.g. --labels \"nostalgia,awe,boredom\"")
    for label in names:
        given.setdefault(label, DEFAULT_TEMPLATE.format(label=label))
    return ZeroShotClassifier(given, num_threads=threads)


@app.command()
def analyze(
    texts: Optional[List[str]] = typer.Argument(None, help="Texts to analyse (or use --input)."),
    input: Optional[str] = typer.Option(None, "--input", "-i", help="CSV, TSV, JSONL, Parquet or TXT file; - for stdin."),
    text_column: Optional[str] = typer.Option(None, "--text-column", "-c", help="Column holding the text (default: text)."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="CSV, JSONL or Parquet file to write (default: JSONL on stdout)."),
    input_format: Optional[str] = typer.Option(None, help="Override the input format: csv, tsv, jsonl, parquet, txt."),
    output_format: Optional[str] = typer.Option(None, help="Override the output format: csv, jsonl, parquet."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    top_k: int = typer.Option(5, "--top-k", "-k", min=1, help="Labels shown per text."),
    no_scores: bool = typer.Option(False, "--no-scores", help="Leave out the per-label score columns."),
    rollup: Optional[List[str]] = RollupOption,
    model: Optional[str] = ModelOption,
    threads: Optional[int] = ThreadsOption,
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted --input/--output job where it stopped."),
    chunk_rows: int = typer.Option(DEFAULT_CHUNK_ROWS, "--chunk-rows", min=1, help="Rows read, analysed and saved at a time (the unit of --resume)."),
    batch_size: Optional[int] = typer.Option(None, help="Texts per model run (default: the model's own, with which a text's result never depends on the texts beside it; a model with dynamic int8 quantization runs one text at a time)."),
    explain: bool = typer.Option(False, "--explain", help="Show the words that carry each predicted emotion (signed weights; --json adds character offsets)."),
    labels: Optional[str] = typer.Option(None, "--labels", help="Zero-shot: score these comma-separated labels instead of the model's (e.g. \"nostalgia,awe,boredom\")."),
    label_descriptions: Optional[Path] = typer.Option(None, help="Zero-shot labels with one-line descriptions: JSON {label: description} or 'label: description' lines."),
    language: Optional[str] = typer.Option(None, "--language", help="Read the texts as this language: its thresholds and its TF-IDF head (models trained on several languages, e.g. deu for semeval-multilingual-e5); 'auto': each text as the language the model detects; an unknown language falls back to the shared thresholds with a warning."),
    encoding: str = typer.Option("utf-8", "--encoding", help="Encoding of --input (a UTF-8 byte-order mark is dropped; Excel's CSV in western locales: cp1252)."),
    max_chars: int = typer.Option(DEFAULT_MAX_CHARS, "--max-chars", min=0, help="Cut longer texts to their first N characters, with a warning (0: no limit)."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Analyse only the first N rows of --input (reading stops there)."),
) -> None:
    """Say which emotions texts express: a table, JSON, or an annotated file."""
    from ..taxonomy import BUILTIN_ROLLUPS, load_rollup, resolve_rollups
    from ..text.model import EmotionModel

    zero_shot = labels is not None or label_descriptions is not None
    if zero_shot and model:
        raise UsageError("--labels / --label-descriptions use the shipped sentence encoder, not --model")
    if input is None and not texts:
        raise UsageError("give texts to analyse or --input FILE (see emoscope analyze --help)")
    if input is not None and texts:
        raise UsageError("give either texts or --input, not both")
    if limit is not None and input is None:
        raise UsageError("--limit applies to --input FILE; texts on the command line are all analysed")
    if input is not None and explain:
        raise UsageError("--explain works on texts given on the command line, not --input")
    load = ((lambda: zero_shot_model(labels, label_descriptions, threads)) if zero_shot else
            (lambda: load_label_model(model, threads, batch_size, language)))
    specs = [r if r in BUILTIN_ROLLUPS else load_rollup(r) for r in rollup] if rollup else None
    if input is not None:
        analyze_file(input, text_column, output, input_format, output_format, specs, not no_scores, load,
                     resume, chunk_rows, check_encoding(encoding), max_chars or None, limit)
        return
    texts = cap_texts(list(texts), max_chars or None, "text")
    loaded = load()
    rollups = resolve_rollups(loaded.labels, specs)
    if explain:
        if not isinstance(loaded, EmotionModel):
            raise UsageError("--explain needs a label model (not --labels)")
        show_explanations([loaded.explain(t) for t in texts], as_json)
        return
    results = loaded.predict(list(texts))
    if as_json:
        typer.echo(json.dumps([r.to_dict(rollups) for r in results], indent=2, ensure_ascii=False))
    else:
        show_results(results, rollups, top_k)


def analyze_file(path, text_column, output, input_format, output_format, specs, scores, load, resume,
                 chunk_rows, encoding="utf-8", max_chars=None, limit=None) -> None:
    from ..batch import BatchOptions, annotate_file, output_lock, stream_to_stdout
    from ..io.atomic import check_output_path
    from ..io.readers import count_rows
    from ..io.tables import INPUT_FORMATS, OUTPUT_FORMATS, check_input_file, detect_format
    from ..taxonomy import resolve_rollups

    input_format = detect_format(path, input_format, INPUT_FORMATS, "input")
    target = output or "-"
    output_format = detect_format(target, output_format, OUTPUT_FORMATS, "output")  # fail before the work
    if target == "-":
        if resume:
            raise UsageError("--resume needs --output FILE")
        loaded = load()
        rollups = resolve_rollups(loaded.labels, specs)
        stream_to_stdout(loaded, path, input_format, text_column, output_format, rollups, scores, chunk_rows,
                         encoding, max_chars, limit)
        return
    check_input_file(path)
    check_output_path(output)
    with output_lock(output):  # another job on this output stops this one before the model loads
        pass
    loaded = load()
    rollups = resolve_rollups(loaded.labels, specs)
    options = BatchOptions(input=path, output=output, input_format=input_format, output_format=output_format,
                           text_column=text_column, rollups=[getattr(r, "name", str(r)) for r in rollups],
                           scores=scores, model=getattr(loaded, "identity", str(loaded.directory.resolve())),
                           chunk_rows=chunk_rows, encoding=encoding, max_chars=max_chars, limit=limit)
    err = console(stderr=True)
    try:
        if sys.stderr.isatty():
            with row_progress(err) as bar:
                total = count_rows(path, input_format)
                task = bar.add_task("analysing", total=min(total, limit) if total and limit else total)
                done = annotate_file(loaded, options, rollups, resume=resume,
                                     progress=lambda rows: bar.update(task, completed=rows))
        else:
            done = annotate_file(loaded, options, rollups, resume=resume)
    except Interrupted as stopped:
        again = command_line() if "--resume" in sys.argv else f"{command_line()} --resume"
        raise Interrupted(f"interrupted with {stopped.rows_saved} rows saved in {stopped.folder}; "
                          f"continue with: {again}", stopped.rows_saved, stopped.folder) from None
    resumed = f" ({done.resumed_rows} from the earlier run)" if done.resumed_rows else ""
    err.print(f"wrote {done.rows} rows to {output}{resumed} in {done.seconds:.1f}s")


def row_progress(console):
    """A progress bar with rows done / total, rows per second and the time left (the total is
    known for Parquet and text files; without one the bar still shows rows and speed)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TimeRemainingColumn
    from rich.text import Text

    class RowsPerSecond(ProgressColumn):
        def render(self, task):
            return Text(f"{task.speed:,.0f} rows/s" if task.speed else "… rows/s", style="progress.data.speed")

    return Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                    RowsPerSecond(), TimeRemainingColumn(), console=console)
