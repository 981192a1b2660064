"""The GoEmotions recipe (``emoscope train goemotions``): fine-tune, export, fit the lexical head,
choose graph, blend and thresholds on dev (:mod:`.builder`), calibrate on dev, report on test,
and write a model directory with its card."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from ..card import CardSection, ModelCard
from ..data.goemotions import LICENCE, read_goemotions
from ..data.labelled import LabelledTexts
from ..evaluate import describe, evaluate_scores, goemotions_payload
from ..metrics import tune_thresholds
from ..persistence import ModelConfig, Task
from ..text.encoder import DEFAULT_BATCH_SIZE
from ..text.model import EmotionModel
from .arguments import GoEmotionsArguments
from .base_models import MINILM, describe_base
from .builder import INFERENCE_NOTE, choose_graph, save_choice, training_record
from .calibrate import calibrate_on_dev, calibration_section
from .export import export_checkpoint
from .lexical import fit_lexical_head
from .trainer import CHECKPOINT, TrainingTask, fine_tune_or_reuse, fine_tune_tasks_or_reuse

TASK = "multi-label emotion classification (GoEmotions 27 emotions + neutral)"


def read_goemotions_splits(data_dir: Path, args: GoEmotionsArguments):
    """(train, dev, test), cut to ``args.max_train_samples`` / ``max_eval_samples`` (smoke tests)."""
    train, dev, test = (read_goemotions(data_dir, s) for s in ("train", "dev", "test"))
    return train.head(args.max_train_samples), dev.head(args.max_eval_samples), test.head(args.max_eval_samples)


def positive_weights(targets: np.ndarray, power: float, largest: float) -> Optional[np.ndarray]:
    """Per label, the weight of its positive examples in the loss: (negatives / positives) **
    ``power``, between 1 and ``largest``; None for ``power`` 0 (every example weighs 1).  Macro-F1
    counts a label seen in 0.2% of texts (grief) as much as one in 30% (neutral)."""
    if power <= 0:
        return None
    share = np.clip(np.asarray(targets, dtype=np.float64).mean(axis=0), 1e-6, 1 - 1e-6)
    return np.clip(((1 - share) / share) ** power, 1.0, largest).astype(np.float32)


def labels_task(train: LabelledTexts, power: float, largest: float) -> TrainingTask:
    """The GoEmotions labels as a fine-tuning task, each label's positive examples weighed by
    :func:`positive_weights` (``power`` 0: every example weighs 1)."""
    targets = train.targets.astype(np.float32)
    weights = positive_weights(train.targets, power, largest)
    return TrainingTask("labels", list(train.texts), targets, "bce",
                        None if weights is None else 1.0 + (weights[None, :] - 1.0) * targets)


def train_goemotions(data_dir: Path, out_dir: Path, args: GoEmotionsArguments,
                     progress: Callable[[str], None] = print, command: Optional[str] = None) -> Path:
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    splits = read_goemotions_splits(Path(data_dir), args)
    train = splits[0]
    checkpoint = out_dir / CHECKPOINT
    task = labels_task(train, args.positive_weight_power, args.positive_weight_max)
    if task.mask is None:  # the unweighted run keeps its own reuse key (runs made before the weights)
        model, train_info = fine_tune_or_reuse(checkpoint, train.texts, train.targets, train.labels, args, progress)
    else:
        model, train_info = fine_tune_tasks_or_reuse(checkpoint, [task], train.labels, args, progress)
    build_goemotions_model(model, checkpoint, train_info, data_dir, splits, out_dir, args,
                           progress=progress, command=command, started=started)
    return out_dir


def build_goemotions_model(model, checkpoint: Path, train_info: dict, data_dir: Path,
                           splits: tuple[LabelledTexts, LabelledTexts, LabelledTexts], out_dir: Path,
                           args: GoEmotionsArguments, *, progress: Callable[[str], None] = print,
                           command: Optional[str] = None, started: Optional[float] = None,
                           card_sections: tuple[CardSection, ...] = (), base: str = MINILM) -> ModelCard:
    """From a fine-tuned classifier (saved in ``checkpoint``) to a calibrated model directory
    with its card; ``splits`` are (train, dev, test) of ``data_dir``; ``base`` names the encoder it
    was fine-tuned from (a name of :data:`.base_models.SOURCES`, or a folder)."""
    started = time.perf_counter() if started is None else started
    base_model, base_source, encoder_name = describe_base(base)
    out_dir = Path(out_dir)
    work = out_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    train, dev, test = splits
    labels = train.labels
    tokenizer = checkpoint / "tokenizer.json"
    progress("exporting to ONNX, optimising and quantizing")
    fp32, int8 = export_checkpoint(model, checkpoint, work)
    progress("fitting the TF-IDF logistic-regression head")
    lexical = fit_lexical_head(train.texts, train.targets, args)

    config = ModelConfig(task=Task.MULTI_LABEL, name=out_dir.name, batch_size=DEFAULT_BATCH_SIZE,
                         base_model=base_model)
    choice = choose_graph(work, {"fp32": fp32, "int8": int8}, config=config, labels=labels, tokenizer=tokenizer,
                          lexical=lexical, dev_texts=dev.texts, dev_targets=dev.targets, args=args,
                          progress=progress)
    save_choice(out_dir, choice, config=config, labels=labels, tokenizer=tokenizer, lexical=lexical)
    progress("calibrating on dev (per-label Platt scaling), choosing thresholds again")
    calibration = calibrate_on_dev(out_dir, dev, num_threads=args.num_threads)

    final = EmotionModel.load(out_dir, num_threads=args.num_threads)
    test_payload, dev_payload = goemotions_payload(final, test, "test"), goemotions_payload(final, dev, "dev")
    calibration.update({"test_ece_before": test_payload["ece_uncalibrated"], "test_ece_after": test_payload["ece"],
                        "command": command or ""})
    card = ModelCard(
        name=out_dir.name, task=TASK,
        base_model=base_source,
        architecture=f"{encoder_name} encoder, mean pooling, linear head (ONNX); blended with a word 1-2-gram "
                     "TF-IDF logistic-regression head",
        labels=labels,
        facts={"Encoder weight in the blend": str(choice.encoder_weight),
               "Shipped graph": choice.describe(),
               "Thresholds": "one per label, chosen on the calibrated dev scores to maximise that label's F1 "
                             "(grid 0.02-0.95); a text with no label above threshold gets its best label",
               "Components alone (test macro-F1, thresholds from dev)": _components(final, dev, test),
               "Inference": INFERENCE_NOTE,
               "Long texts": "windows of 128 word pieces every 96; emotions take the max over windows, "
                             "neutral the min"},
        data={"datasets": [LICENCE], "path": str(data_dir), "train": len(train), "dev": len(dev),
              "test": len(test)},
        training=training_record(args, command, started, device=train_info["device"],
                                 fine_tune_seconds=train_info["train_seconds"]),
        extra={"quantization": choice.to_dict(), "calibration": calibration})
    card.add_metrics(test_payload, describe(test_payload))
    card.facts["Dev (where thresholds and calibration were fitted)"] = (
        f"macro-F1 {dev_payload['macro_f1']:.4f}, micro-F1 {dev_payload['micro_f1']:.4f}")
    card.set_section(calibration_section(calibration))
    for section in card_sections:
        card.set_section(section)
    card.save(out_dir)
    shutil.rmtree(work, ignore_errors=True)
    progress(f"done in {time.perf_counter() - started:.0f}s: test macro-F1 {test_payload['macro_f1']:.4f}, "
             f"ECE {test_payload['ece']:.4f}; model in {out_dir}")
    return card


def _components(model: EmotionModel, dev: LabelledTexts, test: LabelledTexts) -> str:
    """Test macro-F1 of the encoder and of the TF-IDF head alone (each thresholded on dev)."""
    dev_parts, test_parts = model.component_scores(dev.texts), model.component_scores(test.texts)
    out = []
    for name, dev_scores, test_scores in (("encoder only", dev_parts.encoder, test_parts.encoder),
                                          ("lexical only", dev_parts.lexical, test_parts.lexical)):
        thresholds = tune_thresholds(dev.targets, dev_scores)
        out.append(f"{name} {evaluate_scores(test.targets, test_scores, thresholds, model.labels).fine.macro_f1:.4f}")
    return ", ".join(out)
