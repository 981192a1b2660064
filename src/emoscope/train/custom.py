"""Train a model on a user's own labelled table (``emoscope train custom``).

Multi-label and single-label classification and regression share one recipe: fine-tune the
MiniLM encoder with a mean-pooled linear head, export it to ONNX (fp32 and int8) and build the
model with :mod:`.builder` (graph, blend and thresholds chosen on dev).  A multi-label model also
gets the TF-IDF head, as the shipped model does.  Regression targets are standardised for
training; the scale is folded back into the head before export, so the graph outputs values on
the user's own scale.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from ..card import ModelCard
from ..data.labelled import LabelledDataset, LabelledTexts
from ..errors import InputDecodeError
from ..evaluate import describe_labelled, evaluate_labelled
from ..persistence import ModelConfig, Task
from ..text.model import EmotionModel
from .arguments import CustomArguments
from .builder import HEADLINE, INFERENCE_NOTE, choose_graph, save_choice, training_record
from .export import export_checkpoint
from .lexical import fit_lexical_head
from .trainer import CHECKPOINT, fine_tune_or_reuse

PROBLEM_TYPES = {Task.MULTI_LABEL: "multi_label_classification",
                 Task.SINGLE_LABEL: "single_label_classification", Task.REGRESSION: "regression"}
TASK_NAMES = {Task.MULTI_LABEL: "multi-label classification", Task.SINGLE_LABEL: "single-label classification",
              Task.REGRESSION: "regression"}


def _fingerprint(data: LabelledDataset) -> str:
    digest = hashlib.sha256()
    for split in ("train", "dev"):
        for text in data.splits[split].texts:
            digest.update(text.encode("utf-8", "replace") + b"\0")
        digest.update(data.splits[split].targets.tobytes())
    return digest.hexdigest()[:16]


def _fit(texts, targets, checkpoint: Path, work: Path, task: Task, labels, args: CustomArguments,
         progress, fingerprint: str):
    """Fine-tune (or reuse) into ``checkpoint``, export fp32 and int8 graphs into ``work`` and fit
    the TF-IDF head (multi-label).  Returns ({variant: graph}, lexical, info, (mean, std) or None)."""
    work.mkdir(parents=True, exist_ok=True)
    scale = None
    if task == Task.REGRESSION:
        scale = targets.mean(axis=0), targets.std(axis=0)
        targets = (targets - scale[0]) / scale[1]
    model, info = fine_tune_or_reuse(checkpoint, texts, targets, labels, args, progress,
                                     recipe={"task": task.value, "labels": labels, "data": fingerprint},
                                     problem_type=PROBLEM_TYPES[task])
    if task == Task.REGRESSION:
        import torch

        with torch.no_grad():  # standardised -> the user's scale, inside the graph
            std, mean = torch.tensor(scale[1]), torch.tensor(scale[0])
            model.classifier.weight.mul_(std[:, None])
            model.classifier.bias.mul_(std).add_(mean)
    progress("exporting to ONNX, optimising and quantizing")
    fp32, int8 = export_checkpoint(model, checkpoint, work)
    lexical = fit_lexical_head(texts, targets, args) if task == Task.MULTI_LABEL else None
    return {"fp32": fp32, "int8": int8}, lexical, info, scale


def part_metrics(model: EmotionModel, rows: LabelledTexts, part: str, source: str) -> dict:
    """A card's metrics of one part of the data (``dev``, ``test``, ``eval_data``)."""
    return {"dataset": "table", "split": part, "source": source, **evaluate_labelled(model, rows.texts, rows.targets)}


def train_custom(data: LabelledDataset, out_dir: Path, args: CustomArguments, *,
                 source: str, eval_data: Optional[LabelledTexts] = None, eval_source: str = "",
                 refit: bool = False, progress: Callable[[str], None] = print,
                 command: Optional[str] = None) -> ModelCard:
    """Train, choose, evaluate and write the model; returns its card.

    With ``refit`` the choices made on dev (blend weight, thresholds, int8 or fp32) are kept and
    the model is trained once more on train + dev, as scikit-learn's ``refit`` does; the card's
    dev numbers are then those of the first model (the refitted one has seen dev)."""
    started = time.perf_counter()
    out_dir = Path(out_dir)
    work = out_dir / "work"
    task, labels = data.task, data.labels
    train, dev = data.splits["train"], data.splits["dev"]
    if not len(dev):
        raise InputDecodeError(f"{source}: no dev rows; give dev rows in the split column or a larger "
                               f"--dev-fraction")
    graphs, lexical, info, scale = _fit(train.texts, train.targets, out_dir / CHECKPOINT, work, task, labels,
                                        args, progress, _fingerprint(data))
    config = ModelConfig(task=task, name=out_dir.name, max_tokens=128, base_model=info["base_model"])
    if task == Task.MULTI_LABEL:  # may a text have no label? only if some training text has none
        config.at_least_one_label = bool(train.targets.max(axis=1).min() > 0)
    checkpoint = out_dir / CHECKPOINT
    choice = choose_graph(work / "candidates", graphs, config=config, labels=labels,
                          tokenizer=checkpoint / "tokenizer.json", lexical=lexical, dev_texts=dev.texts,
                          dev_targets=dev.targets, args=args, progress=progress)
    dev_model = None
    if refit:
        save_choice(work / "before-refit", choice, config=config, labels=labels,
                    tokenizer=checkpoint / "tokenizer.json", lexical=lexical)
        dev_model = EmotionModel.load(work / "before-refit", num_threads=args.num_threads)
        progress("refitting on train + dev with the choices made on dev")
        checkpoint = out_dir / "checkpoint-refit"
        graphs, lexical, info, scale = _fit(train.texts + dev.texts, np.concatenate([train.targets, dev.targets]),
                                            checkpoint, work / "refit", task, labels, args, progress,
                                            _fingerprint(data) + "+dev")
        choice.graph = graphs[choice.variant]
    save_choice(out_dir, choice, config=config, labels=labels, tokenizer=checkpoint / "tokenizer.json",
                lexical=lexical)
    final = EmotionModel.load(out_dir, num_threads=args.num_threads)
    metrics = {"dev": part_metrics(dev_model or final, dev, "dev", source)}
    if len(data.splits["test"]):
        metrics["test"] = part_metrics(final, data.splits["test"], "test", source)
    if eval_data is not None:
        metrics["eval_data"] = part_metrics(final, eval_data, "eval_data", eval_source)
    key = HEADLINE[task]
    card = ModelCard(
        name=out_dir.name,
        task=f"{TASK_NAMES[task]} of {len(labels)} {'targets' if task == Task.REGRESSION else 'labels'} "
             f"trained on {source}",
        base_model=info["base_model"],
        architecture="MiniLM-L6 encoder, mean pooling, linear head (ONNX)"
                     + ("; blended with a word 1-2-gram TF-IDF logistic-regression head" if lexical is not None else ""),
        labels=labels,
        facts={"Encoder weight in the blend": str(choice.encoder_weight) if lexical is not None else "",
               "Decision": decision_text(task, config.at_least_one_label, "dev"),
               "Shipped graph": choice.describe(),
               "Refit": "after the choices on dev, trained again on train + dev; the dev numbers are those "
                        "of the model before the refit" if refit else "",
               "Inference": INFERENCE_NOTE},
        metrics=metrics,
        data={"source": source, "splits": data.split_source,
              **{split: len(part) for split, part in data.splits.items()},
              "dropped_rows_without_text": data.dropped_empty},
        training=training_record(args, command, started, device=info["device"],
                                 fine_tune_seconds=info["train_seconds"]),
        extra={"headline_metric": key, "quantization": choice.to_dict(),
               **({"target_scale": {t: {"train_mean": round(float(m), 4), "train_std": round(float(s), 4)}
                                    for t, m, s in zip(labels, *scale)}} if scale is not None else {})})
    for part, payload in metrics.items():
        card.sections += describe_labelled(payload, _part_title(part, payload))
    card.save(out_dir)
    shutil.rmtree(work, ignore_errors=True)
    summary = ", ".join(f"{part} {key} {m[key]:.4f}" for part, m in metrics.items())
    progress(f"done in {time.perf_counter() - started:.0f}s: {summary}; model in {out_dir}")
    return card


def decision_text(task: Task, at_least_one_label: bool, chosen_on: str) -> str:
    return {Task.MULTI_LABEL: f"one threshold per label, chosen on {chosen_on} to maximise its F1"
                              + ("; a text with no label above threshold gets its best label" if at_least_one_label
                                 else "; a text may get no label, as some training texts have none"),
            Task.SINGLE_LABEL: "the label with the highest softmax probability",
            Task.REGRESSION: "the head's outputs, on the targets' own scale"}[task]


def _part_title(part: str, payload: dict) -> str:
    if part == "cross_validation":
        return "Out-of-fold predictions of the cross-validation"
    if part == "eval_data":
        return f"Held-out file {payload['source']}"
    return f"{part} split"
