"""Train a model on a user's own labelled table (``emoscope train custom``).

Multi-label and single-label classification and regression share one recipe: fine-tune the
MiniLM encoder with a mean-pooled linear head, export it to ONNX, quantize it to int8 when that
costs at most ``quantize_tolerance`` on dev, and write a model directory with its card.  A
multi-label model also gets the TF-IDF head and per-label thresholds chosen on dev, as the
shipped model does.  Regression targets are standardised for training; the scale is folded back
into the head before export, so the graph outputs values on the user's own scale.
"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from ..card import write_model_card
from ..errors import InputDecodeError
from ..evaluate import evaluate_labelled
from ..io.labelled import LabelledData
from ..model import MULTI_LABEL, REGRESSION, SINGLE_LABEL, EmotionModel
from .arguments import TrainingArguments
from .export import export_checkpoint
from .goemotions import CHECKPOINT, INFERENCE_NOTE, fit_lexical_head, select_blend, write_model_files
from .trainer import fine_tune_or_reuse

PROBLEM_TYPES = {MULTI_LABEL: "multi_label_classification",
                 SINGLE_LABEL: "single_label_classification", REGRESSION: "regression"}
HEADLINE = {MULTI_LABEL: "macro_f1", SINGLE_LABEL: "macro_f1", REGRESSION: "mean_pearson_r"}


def _fingerprint(data: LabelledData) -> str:
    digest = hashlib.sha256()
    for split in ("train", "dev"):
        for text in data.splits[split].texts:
            digest.update(text.encode("utf-8", "replace") + b"\0")
        digest.update(data.splits[split].targets.tobytes())
    return digest.hexdigest()[:16]


def _fit(texts, targets, checkpoint: Path, work: Path, task: str, labels, args: TrainingArguments,
         progress, fingerprint: str):
    """Fine-tune (or reuse) into ``checkpoint``, export fp32 and int8 graphs into ``work`` and fit
    the TF-IDF head (multi-label).  Returns (fp32, int8, lexical, info, (mean, std) or None)."""
    work.mkdir(parents=True, exist_ok=True)
    scale = None
    if task == REGRESSION:
        scale = targets.mean(axis=0), targets.std(axis=0)
        targets = (targets - scale[0]) / scale[1]
    model, info = fine_tune_or_reuse(checkpoint, texts, targets, labels, args, progress,
                                     recipe={"task": task, "labels": labels, "data": fingerprint},
                                     problem_type=PROBLEM_TYPES[task])
    if task == REGRESSION:
        import torch

        with torch.no_grad():  # standardised -> the user's scale, inside the graph
            std, mean = torch.tensor(scale[1]), torch.tensor(scale[0])
            model.classifier.weight.mul_(std[:, None])
            model.classifier.bias.mul_(std).add_(mean)
    progress("exporting to ONNX, optimising and quantizing")
    fp32, int8 = export_checkpoint(model, checkpoint, work)
    lexical = fit_lexical_head(texts, targets, args) if task == MULTI_LABEL else None
    return fp32, int8, lexical, info, scale


def train_custom(data: LabelledData, out_dir: Path, args: TrainingArguments, *,
                 source: str, eval_data: Optional[LabelledData] = None, eval_source: str = "",
                 refit: bool = False, progress: Callable[[str], None] = print,
                 command: Optional[str] = None) -> dict:
    """Train, choose, evaluate and write the model; returns the model card.

    With ``refit`` the choices made on dev (blend weight, thresholds, int8 or fp32) are kept and
    the model is trained once more on train + dev, as scikit-learn's ``refit`` does; the card's
    dev numbers are then those of the first model (the refitted one has seen dev)."""
    started = time.perf_counter()
    out_dir = Path(out_dir)
    work = out_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    task, labels = data.task, data.labels
    train, dev = data.splits["train"], data.splits["dev"]
    if not len(dev.texts):
        raise InputDecodeError(f"{source}: no dev rows; give dev rows in the split column or a larger "
                               f"--dev-fraction")
    fp32, int8, lexical, info, scale = _fit(train.texts, train.targets, out_dir / CHECKPOINT, work,
                                            task, labels, args, progress, _fingerprint(data))
    extra = {"task": task, "max_tokens": 128}
    if task == MULTI_LABEL:  # may a text have no label? only if some training text has none
        extra["at_least_one_label"] = bool(train.targets.max(axis=1).min() > 0)

    variants = {}
    for variant, onnx_path in (("fp32", fp32), ("int8", int8)):
        candidate = work / variant
        write_model_files(candidate, onnx_path=onnx_path, tokenizer_path=out_dir / CHECKPOINT / "tokenizer.json",
                          labels=labels, thresholds=np.full(len(labels), 0.5), lexical=lexical,
                          encoder_weight=1.0, extra_config=extra)
        candidate_model = EmotionModel.load(candidate, num_threads=args.num_threads)
        weight, thresholds = 1.0, np.full(len(labels), 0.5, dtype=np.float32)
        if task == MULTI_LABEL:
            parts = candidate_model.component_scores(dev.texts)
            weight, thresholds, _ = select_blend(candidate_model, parts, dev.targets,
                                                 args.encoder_weight_grid)
            candidate_model.encoder_weight, candidate_model.thresholds = weight, thresholds
        dev_metrics = evaluate_labelled(candidate_model, dev.texts, dev.targets)
        variants[variant] = {"onnx": onnx_path, "encoder_weight": weight, "thresholds": thresholds,
                             "dev": dev_metrics, "size_mb": onnx_path.stat().st_size / 1e6}
        progress(f"{variant}: dev {HEADLINE[task]} {dev_metrics[HEADLINE[task]]:.4f}")

    key = HEADLINE[task]
    quantized = variants["int8"]["dev"][key] >= variants["fp32"]["dev"][key] - args.quantize_tolerance
    chosen = variants["int8" if quantized else "fp32"]
    checkpoint = out_dir / CHECKPOINT
    if refit:
        progress("refitting on train + dev with the choices made on dev")
        checkpoint = out_dir / "checkpoint-refit"
        fp32, int8, lexical, info, scale = _fit(
            train.texts + dev.texts, np.concatenate([train.targets, dev.targets]), checkpoint,
            work / "refit", task, labels, args, progress, _fingerprint(data) + "+dev")
        chosen = {**chosen, "onnx": int8 if quantized else fp32}
    write_model_files(out_dir, onnx_path=chosen["onnx"], tokenizer_path=checkpoint / "tokenizer.json",
                      labels=labels, thresholds=chosen["thresholds"], lexical=lexical,
                      encoder_weight=chosen["encoder_weight"],
                      extra_config={**extra, "name": out_dir.name, "quantized": quantized,
                                    "base_model": info["base_model"]})
    final = EmotionModel.load(out_dir, num_threads=args.num_threads)
    metrics = {"dev": chosen["dev"] if refit else evaluate_labelled(final, dev.texts, dev.targets)}
    if len(data.splits["test"].texts):
        test = data.splits["test"]
        metrics["test"] = evaluate_labelled(final, test.texts, test.targets)
    if eval_data is not None:
        held = eval_data.splits["train"]
        metrics["eval_data"] = {"source": eval_source, **evaluate_labelled(final, held.texts, held.targets)}
    wall = time.perf_counter() - started
    card = {
        "name": out_dir.name,
        "task": {MULTI_LABEL: "multi-label classification", SINGLE_LABEL: "single-label classification",
                 REGRESSION: "regression"}[task] + f" of {len(labels)} {'targets' if task == REGRESSION else 'labels'}"
                + f" trained on {source}",
        "custom": True,
        "base_model": info["base_model"],
        "architecture": "MiniLM-L6 encoder, mean pooling, linear head (ONNX)"
                        + ("; blended with a word 1-2-gram TF-IDF logistic-regression head"
                           if lexical is not None else ""),
        "encoder_weight": chosen["encoder_weight"],
        "decision": {MULTI_LABEL: "one threshold per label, chosen on dev to maximise its F1"
                                  + ("; a text with no label above threshold gets its best label"
                                     if extra.get("at_least_one_label") else
                                     "; a text may get no label, as some training texts have none"),
                     SINGLE_LABEL: "the label with the highest softmax probability",
                     REGRESSION: "the head's outputs, on the targets' own scale"}[task],
        "quantization": {"shipped": "int8 (dynamic)" if quantized else "fp32",
                         "tolerance": args.quantize_tolerance,
                         **{f"{v}_dev_{key}": round(variants[v]["dev"][key], 4) for v in variants},
                         **{f"{v}_onnx_mb": round(variants[v]["size_mb"], 1) for v in variants}},
        "inference": INFERENCE_NOTE,
        "data": {"source": source, "splits": data.split_source,
                 **{split: len(part.texts) for split, part in data.splits.items()},
                 "dropped_rows_without_text": data.dropped_empty},
        "training": {"command": command or " ".join(sys.argv), "seed": args.seed,
                     "arguments": args.to_dict(), "device": info["device"],
                     "fine_tune_seconds": info["train_seconds"], "wall_seconds": round(wall, 1)},
        "headline_metric": key,
        "metrics": metrics,
        "labels": labels,
    }
    if refit:
        card["refit"] = ("after the choices on dev, trained again on train + dev; the dev numbers "
                         "are those of the model before the refit")
    if task == REGRESSION:
        card["target_scale"] = {t: {"train_mean": round(float(m), 4), "train_std": round(float(s), 4)}
                                for t, m, s in zip(labels, *scale)}
    write_model_card(out_dir, card)
    summary = ", ".join(f"{part} {key} {m[key]:.4f}" for part, m in metrics.items())
    progress(f"done in {wall:.0f}s: {summary}; model in {out_dir}")
    return card
