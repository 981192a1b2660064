"""Evaluate any model on the datasets emoscope knows, the same way for the CLI and model cards.

:data:`EVALUATIONS` lists each dataset once: how to read it and score a model on it (``run``,
returning the JSON payload that ``emoscope evaluate --json`` prints and a model card stores under
``"<dataset>/<split>"``) and how to present the result (``describe``, returning the card sections
that the CLI prints as tables and the card renders as Markdown).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

from ..card import CardSection
from ..errors import InputNotFoundError, ModelLoadError, UnsupportedFormatError, UsageError
from .dialogue import ContextEvaluation, describe_meld, evaluate_context_model, evaluate_turns_alone
from .dimensions import describe_head, evaluate_head
from .labels import (EvaluationReport, describe_goemotions, describe_labelled, evaluate_labelled,
                     evaluate_model, evaluate_predictions, evaluate_scores, goemotions_payload,
                     labelled_metrics)
from .faces import describe_faces, evaluate_face_model, ferplus_payload
from .speech import describe_speech, evaluate_speech_model
from .languages import describe_track_a, evaluate_track_a, has_track_a_labels, language_macro_f1, tfidf_baseline
from .zeroshot import describe_zero_shot, evaluate_zero_shot_ekman

SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class EvaluationOptions:
    """What ``emoscope evaluate`` passes besides dataset, data, split and model."""

    num_threads: Optional[int] = None
    languages: Sequence[str] = ()  # semeval-a: only these languages
    text_column: str = "text"  # table
    label_column: Optional[str] = None  # table, single-label model


@dataclass(frozen=True)
class Evaluation:
    name: str
    help: str
    default_split: str
    run: Callable[[Path, str, Optional[str], EvaluationOptions], dict]
    describe: Callable[[dict], list[CardSection]]
    aliases: tuple[tuple[str, str], ...] = ()  # a dataset's own split names: (name, the split it is)


def _goemotions(data: Path, split: str, model: Optional[str], options: EvaluationOptions) -> dict:
    from ..data.goemotions import read_goemotions
    from ..text.model import EmotionModel

    labelled = read_goemotions(data, split)
    loaded = EmotionModel.load(model, num_threads=options.num_threads)
    if labelled.labels != loaded.labels:
        raise ModelLoadError(f"the model's labels differ from {data}/labels.txt")
    return goemotions_payload(loaded, labelled, split)


def _head(dataset: str, head: str):
    def run(data: Path, split: str, model: Optional[str], options: EvaluationOptions) -> dict:
        from ..data.emobank import read_emobank
        from ..data.semeval import read_intensity
        from ..text.model import EmotionModel

        parts = read_emobank(data) if dataset == "emobank" else read_intensity(data)
        if split not in parts:
            raise InputNotFoundError(f"{data}: no {split!r} split for {dataset}; it has {', '.join(parts)}")
        loaded = EmotionModel.load(model, num_threads=options.num_threads)
        rows = parts[split]
        return {"dataset": dataset, "split": split, "model": loaded.name,
                **evaluate_head(loaded, head, rows.texts, rows.targets)}
    return run


def _track_a(data: Path, split: str, model: Optional[str], options: EvaluationOptions) -> dict:
    from ..data.semeval import read_track_a
    from ..text.model import EmotionModel

    loaded = EmotionModel.load(model or "semeval-multilingual-e5", num_threads=options.num_threads)
    languages = options.languages
    if not languages and not has_track_a_labels(loaded):
        # a model of other labels, decided by its Ekman rollup, is an English model: averaging it
        # over 28 languages gave a meaningless 0.15 for the default model
        languages = ("eng",)
    splits = read_track_a(data, split, languages)
    baseline = None
    if split != "train" and has_track_a_labels(loaded) and (Path(data) / "train").is_dir():
        # the per-language TF-IDF baseline, fitted on train
        try:
            import sklearn  # noqa: F401
        except ImportError:
            warnings.warn("the TF-IDF baseline needs scikit-learn (the train extra): left out", stacklevel=2)
        else:
            baseline = tfidf_baseline(read_track_a(data, "train", list(splits)), splits)
    return {"dataset": "semeval-a", "split": split, "model": loaded.name,
            **evaluate_track_a(loaded, splits, baseline)}


def _meld(data: Path, split: str, model: Optional[str], options: EvaluationOptions) -> dict:
    from ..data.meld import read_meld
    from ..persistence import Task, read_config, resolve_model_dir
    from ..text.context import DEFAULT_CONTEXT_MODEL, ContextEmotionModel
    from ..text.model import EmotionModel

    turns = read_meld(data, split)
    if read_config(resolve_model_dir(model, DEFAULT_CONTEXT_MODEL)).task != Task.DIALOGUE_TURN:
        loaded = EmotionModel.load(model, num_threads=options.num_threads)
        return {"dataset": "meld", "split": split, "model": loaded.name, **evaluate_turns_alone(loaded, turns)}
    loaded = ContextEmotionModel.load(model, num_threads=options.num_threads)
    return {"dataset": "meld", "split": split, "model": loaded.name,
            **evaluate_context_model(loaded, turns).to_dict()}


def _table(data: Path, split: str, model: Optional[str], options: EvaluationOptions) -> dict:
    from ..data.labelled import LabelSpec, read_labelled_texts
    from ..text.model import EmotionModel

    loaded = EmotionModel.load(model, num_threads=options.num_threads)
    spec = LabelSpec.for_model(loaded.task, loaded.labels, options.text_column, options.label_column)
    rows = read_labelled_texts(str(data), spec, known_labels=loaded.labels)
    return {"dataset": "table", "data": str(data), "model": loaded.name, "task": loaded.task.value,
            **evaluate_labelled(loaded, rows.texts, rows.targets)}


def _zero_shot(data: Path, split: str, model: Optional[str], options: EvaluationOptions) -> dict:
    from ..text.zeroshot import SentenceEncoder

    encoder = SentenceEncoder(model, num_threads=options.num_threads)
    result = evaluate_zero_shot_ekman(data, encoder.directory, options.num_threads)
    return {"dataset": "zero-shot-ekman", "split": "test", "model": encoder.config.name or encoder.directory.name,
            **result}


def _speech(corpus: str):
    def run(data: Path, split: str, model: Optional[str], options: EvaluationOptions) -> dict:
        from ..data.speech import CORPUS_LABELS, read_speech_corpus
        from ..speech.model import SpeechEmotionModel

        clips = read_speech_corpus(data, corpus, split)
        loaded = SpeechEmotionModel.load(model, num_threads=options.num_threads)
        return {"dataset": corpus, "split": split, "model": loaded.name,
                **evaluate_speech_model(loaded, clips, corpus, CORPUS_LABELS[corpus])}
    return run


def _ferplus(data: Path, split: str, model: Optional[str], options: EvaluationOptions) -> dict:
    from ..faces.model import FaceEmotionModel

    return ferplus_payload(FaceEmotionModel.load(model, num_threads=options.num_threads), data, split)


_SPEECH_HELP = ("{name}: UAR, accuracy, per-class F1 and confusion matrix of the speech model on the held-out "
                "speakers ({speakers}; --split train for the others), over {name}'s own emotions (the speech "
                "folder or its {folder}/ folder)")

EVALUATIONS: dict[str, Evaluation] = {e.name: e for e in (
    Evaluation("goemotions", "GoEmotions: per-label F1, macro/micro F1, Ekman and sentiment rollups, "
               "calibration error (folder with {train,dev,test}.tsv and labels.txt)", "test",
               _goemotions, describe_goemotions),
    Evaluation("emobank", "EmoBank: Pearson r of the valence-arousal-dominance head (emobank.csv or "
               "its folder)", "test", _head("emobank", "vad"), describe_head),
    Evaluation("intensity", "SemEval 2025 Task 11 track B English: Pearson r of the intensity head "
               "(the track_b folder; its test labels are not public)", "dev", _head("intensity", "intensity"),
               describe_head),
    Evaluation("semeval-a", "SemEval 2025 Task 11 track A: macro-F1 per language (the track_a folder; "
               "default model semeval-multilingual-e5; another model is decided by its Ekman rollup, "
               "e.g. --model fast --language eng)", "dev", _track_a, describe_track_a),
    Evaluation("meld", "MELD: weighted-F1, per-class F1 and the confusion matrix of the dialogue context "
               "model, with and without context (and the context ablation), or of a label model's Ekman rollup, each turn alone (folder "
               "with {train,dev,test}_sent_emo.csv)",
               "test", _meld, describe_meld),
    Evaluation("table", "a labelled CSV/JSONL/Parquet file for a model from 'train custom' (one column "
               "per label or target, or --label-column)", "test",
               _table, lambda payload: describe_labelled(payload, str(payload["data"]))),
    Evaluation("zero-shot-ekman", "zero-shot Ekman categories on GoEmotions from the category names and "
               "descriptions only (a sentence encoder: default minilm-embed)", "test", _zero_shot,
               describe_zero_shot),
    Evaluation("ravdess", _SPEECH_HELP.format(name="RAVDESS", speakers="actors 19-24", folder="ravdess"), "test",
               _speech("ravdess"), describe_speech),
    Evaluation("emodb", _SPEECH_HELP.format(name="Berlin EmoDB", speakers="speakers 15 and 16", folder="emodb"),
               "test", _speech("emodb"), describe_speech),
    Evaluation("tess", _SPEECH_HELP.format(name="TESS", speakers="the younger speaker, YAF", folder="tess"), "test",
               _speech("tess"), describe_speech),
    Evaluation("ferplus", "FER+: accuracy (majority vote), per-class F1 and confusion matrix of the face model "
               "(the ferplus folder with {train,valid,test}.npz; --split dev is FER+ valid)", "test",
               _ferplus, describe_faces, aliases=(("valid", "dev"),)),
)}


def evaluate_dataset(dataset: str, data, *, split: Optional[str] = None, model: Optional[str] = None,
                     options: EvaluationOptions = EvaluationOptions()) -> dict:
    """Score ``model`` (a name, a directory, or the dataset's default) on ``dataset`` read from
    ``data``; returns the payload ``emoscope evaluate --json`` prints."""
    if dataset not in EVALUATIONS:
        raise UnsupportedFormatError(f"unknown dataset {dataset!r}; supported: {', '.join(EVALUATIONS)}")
    evaluation = EVALUATIONS[dataset]
    split = dict(evaluation.aliases).get(split, split) or evaluation.default_split
    if split not in SPLITS:
        raise UsageError(f"unknown split {split!r}; choose train, dev or test")
    return evaluation.run(Path(data), split, model, options)


def describe(payload: dict) -> list[CardSection]:
    """The sections that present an evaluation payload (for the CLI and model cards)."""
    return EVALUATIONS[payload["dataset"]].describe(payload)


__all__ = ["EVALUATIONS", "Evaluation", "EvaluationOptions", "evaluate_dataset", "describe",
           "EvaluationReport", "ContextEvaluation", "evaluate_predictions", "evaluate_scores", "evaluate_model",
           "evaluate_labelled", "labelled_metrics", "goemotions_payload", "evaluate_head", "evaluate_context_model",
           "evaluate_track_a", "language_macro_f1", "evaluate_zero_shot_ekman", "evaluate_speech_model",
           "evaluate_face_model"]
