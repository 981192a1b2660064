"""Multi-task fine-tuning with a teacher: the GoEmotions encoder learns valence-arousal-dominance
and intensity as well, so that the heads fitted on it afterwards (``train heads``) see features
that carry them.

The gold data for VAD (EmoBank, 8,062 training texts) and intensity (SemEval 2025 track B
English, 2,764) is small.  A frozen all-mpnet-base-v2 with ridge heads reads those scales better
than MiniLM-L6 does (EmoBank test r V 0.766 against 0.687), but it is ten times slower, too slow
to ship.  So it serves as a teacher: its VAD and intensity predictions label a sample of
GoEmotions training texts, and the student (the shipped MiniLM, starting from its GoEmotions
checkpoint) is fine-tuned on all three tasks at once:

- every text: mean squared error on VAD and intensity, gold where the text has gold (EmoBank
  train for VAD, track B train for intensity, repeated ``intensity_repeats`` times an epoch) and
  the teacher's prediction otherwise;
- the categories, weighted by ``classification_weight``: binary cross-entropy against the base
  checkpoint's own probabilities on every text (``category_targets="base"``, learning without
  forgetting), or against the gold labels of the GoEmotions texts (``"gold"``).

Regression targets are standardised with the gold training data's mean and deviation.  Only the
encoder and the GoEmotions head are kept: the VAD and intensity layers used during training are
dropped, and ``train heads`` fits ridge heads on every layer of the new encoder.  No dev or test
text is trained on; EmoBank dev chooses the teacher's VAD penalties, as it does the student's.

Measured (2 epochs, learning rate 5e-5, two CPU cores, about 40 minutes with the teacher):

======================================  ==========  ==========  =====================  =========
categories                              GoEmotions  of which,   EmoBank test r V/A/D   intensity
                                        test F1     encoder     (shipped: .687/.478/   dev r
                                        (.5073)     (.4627)     .408)                  (.622)
======================================  ==========  ==========  =====================  =========
gold labels, weight 2                   .4893       .4387       .736 / .522 / .432     .653
base probabilities, weight 2            .4851       .4150       .738 / .525 / .440     .656
base probabilities, weight 20 (default) .4994       .4654       .727 / .517 / .438     .637
======================================  ==========  ==========  =====================  =========

VAD and intensity gain, but every run costs the categories: none keeps GoEmotions macro-F1 at
0.50, so the shipped model is not made this way.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np

from ..card import CardSection, ModelCard
from ..data.emobank import read_emobank
from ..data.labelled import LabelledTexts
from ..data.semeval import read_intensity
from ..errors import InputNotFoundError
from ..metrics import pearson_r
from ..text.encoder import OnnxTextEncoder
from .arguments import DistillArguments, GoEmotionsArguments, HeadsArguments
from .base_models import MPNET, resolve_base_model
from .features import fit_ridge, layer_features
from .frozen import export_frozen_encoder
from .goemotions import build_goemotions_model, read_goemotions_splits
from .heads import train_heads
from .trainer import save_checkpoint


@dataclass
class MultiTaskExamples:
    """Texts with their targets: ``labels`` (n, n_labels) with ``has_labels`` (n,) saying which
    rows have them; ``vad`` (n, 3) and ``intensity`` (n, 5), standardised."""

    texts: list
    labels: np.ndarray
    has_labels: np.ndarray
    vad: np.ndarray
    intensity: np.ndarray

    def __len__(self) -> int:
        return len(self.texts)

    @staticmethod
    def concatenate(parts: Sequence["MultiTaskExamples"]) -> "MultiTaskExamples":
        return MultiTaskExamples(sum((p.texts for p in parts), []),
                                 *(np.concatenate([getattr(p, f) for p in parts])
                                   for f in ("labels", "has_labels", "vad", "intensity")))


def base_probabilities(checkpoint: Path, texts: Sequence[str], *, max_length: int = 64, batch_size: int = 64,
                       num_threads: Optional[int] = None) -> np.ndarray:
    """The checkpoint's own category probabilities for ``texts`` (n, n_labels)."""
    import torch

    from .modeling import BertForMeanPooledClassification
    from .trainer import pad, tokenize

    if num_threads:
        torch.set_num_threads(num_threads)
    model = BertForMeanPooledClassification.from_pretrained(checkpoint).eval()
    encoded = tokenize(Path(checkpoint) / "tokenizer.json", texts, max_length)
    order = np.argsort([len(x) for x in encoded], kind="stable")
    out = np.zeros((len(encoded), model.config.num_labels), dtype=np.float32)
    with torch.no_grad():
        for begin in range(0, len(order), batch_size):
            rows = order[begin:begin + batch_size]
            input_ids, mask = pad([encoded[i] for i in rows])
            out[rows] = torch.sigmoid(model(input_ids=input_ids, attention_mask=mask).logits).numpy()
    return out


def fine_tune_multitask(checkpoint: Path, examples: MultiTaskExamples, args: DistillArguments,
                        progress: Optional[Callable[[str], None]] = None):
    """Continue the classifier in ``checkpoint`` on ``examples``; returns (model, info): the
    classifier (encoder and GoEmotions head) without the training-only regression layers."""
    import torch
    from torch import nn
    from transformers import AutoConfig

    from .modeling import BertForMeanPooledClassification
    from .trainer import adamw_with_warmup, bucketed_batches, pad, report_step, seed_everything, tokenize

    seed_everything(args.seed)
    if args.num_threads:
        torch.set_num_threads(args.num_threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    config = AutoConfig.from_pretrained(checkpoint)
    config._attn_implementation = "eager"  # exports to a graph onnxruntime runs fast (as fine_tune)
    model = BertForMeanPooledClassification.from_pretrained(checkpoint, config=config).to(device)
    hidden = model.config.hidden_size
    regression = nn.ModuleDict({"vad": nn.Linear(hidden, examples.vad.shape[1]),
                                "intensity": nn.Linear(hidden, examples.intensity.shape[1])}).to(device)
    encoded = tokenize(Path(checkpoint) / "tokenizer.json", examples.texts, args.max_length)
    lengths = [len(x) for x in encoded]
    tensors = {f: torch.tensor(getattr(examples, f), dtype=torch.float32)
               for f in ("labels", "has_labels", "vad", "intensity")}
    rng = np.random.default_rng(args.seed)
    total_steps = max(1, int(round(math.ceil(len(encoded) / args.batch_size) * args.epochs)))
    named = list(model.named_parameters()) + list(regression.named_parameters())
    optimizer, scheduler = adamw_with_warmup(named, args, total_steps)

    model.train()
    regression.train()
    step, started, running, losses = 0, time.perf_counter(), 0.0, []
    while step < total_steps:
        for batch in bucketed_batches(lengths, args.batch_size, rng):
            if step >= total_steps:
                break
            input_ids, mask = pad([encoded[i] for i in batch])
            pooled = model.dropout(model.pooled(input_ids.to(device), mask.to(device)))
            target = {f: t[batch].to(device) for f, t in tensors.items()}
            loss = (nn.functional.mse_loss(regression["vad"](pooled), target["vad"])
                    + nn.functional.mse_loss(regression["intensity"](pooled), target["intensity"]))
            labelled = target["has_labels"]
            if labelled.sum() > 0:
                per_row = nn.functional.binary_cross_entropy_with_logits(
                    model.classifier(pooled), target["labels"], reduction="none").mean(dim=1)
                loss = loss + args.classification_weight * (per_row * labelled).sum() / labelled.sum()
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for _, p in named], 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            losses.append(loss.item())
            running = 0.98 * running + 0.02 * losses[-1] if step else losses[-1]
            step += 1
            report_step(progress, step, total_steps, running, started)
    model.eval()
    tenth = max(1, len(losses) // 10)
    info = {"steps": total_steps, "device": str(device), "base_model": str(checkpoint),
            "train_seconds": round(time.perf_counter() - started, 1),
            "loss_first_tenth": round(float(np.mean(losses[:tenth])), 4),
            "loss_last_tenth": round(float(np.mean(losses[-tenth:])), 4)}
    return model.to("cpu"), info


TEACHER_ALPHAS = (1e2, 3e2, 1e3, 3e3, 1e4, 3e4, 1e5)  # as train custom --frozen


def teacher_targets(teacher: Optional[str], emobank: dict[str, LabelledTexts], intensity: dict[str, LabelledTexts],
                    goemotions_texts: Sequence[str],
                    work: Path, *, num_threads: Optional[int] = None, folds: int = 5, seed: int = 42,
                    progress: Callable[[str], None] = print) -> dict:
    """The teacher's VAD and intensity for the student's training texts.

    ``emobank`` and ``intensity``: what ``read_emobank`` / ``read_intensity`` return.  The
    teacher is a frozen encoder (4-bit graph, every layer mean-pooled) with ridge heads: VAD fitted
    on EmoBank train with penalties chosen on EmoBank dev, intensity on track B train with
    penalties chosen by cross-validation.  Returns arrays ``goemotions_vad``,
    ``goemotions_intensity``, ``emobank_intensity``, ``intensity_vad`` (raw scales) and
    ``report`` (the teacher's dev Pearson r)."""
    base, source = resolve_base_model(teacher or MPNET)
    work.mkdir(parents=True, exist_ok=True)
    progress(f"exporting the teacher {source} (all layers, 4-bit weights)")
    graph = export_frozen_encoder(base, work / "teacher.onnx")
    encoder = OnnxTextEncoder(graph, base / "tokenizer.json", max_tokens=128, stride=96, batch_size=32,
                              num_threads=num_threads)
    started = time.perf_counter()
    progress("teacher: encoding EmoBank train and dev, track B train and dev")
    features = {"emobank_train": layer_features(encoder, emobank["train"].texts),
                "emobank_dev": layer_features(encoder, emobank["dev"].texts),
                "intensity_train": layer_features(encoder, intensity["train"].texts),
                "intensity_dev": layer_features(encoder, intensity["dev"].texts)}
    vad = fit_ridge(features["emobank_train"], emobank["train"].targets, TEACHER_ALPHAS,
                    dev=(features["emobank_dev"], emobank["dev"].targets))
    emotion = fit_ridge(features["intensity_train"], intensity["train"].targets, TEACHER_ALPHAS,
                        folds=folds, seed=seed)

    def dev_r(fit, x, gold):
        return [round(pearson_r(fit.predict(x)[:, j], gold[:, j]), 4) for j in range(gold.shape[1])]

    report = {"base_model": source, "emobank_dev_pearson_r": dev_r(vad, features["emobank_dev"], emobank["dev"].targets),
              "intensity_dev_pearson_r": dev_r(emotion, features["intensity_dev"], intensity["dev"].targets),
              "vad_ridge_alpha": vad.alphas, "intensity_ridge_alpha": emotion.alphas}
    progress(f"teacher dev r: VAD {report['emobank_dev_pearson_r']}, intensity {report['intensity_dev_pearson_r']}")
    out = {"emobank_intensity": emotion.predict(features["emobank_train"]),
           "intensity_vad": vad.predict(features["intensity_train"])}
    del features
    goemotions_texts = list(goemotions_texts)
    vad_parts, emotion_parts = [], []
    for begin in range(0, len(goemotions_texts), 2000):  # 2,000 x 9,984 features at a time
        x = layer_features(encoder, goemotions_texts[begin:begin + 2000])
        vad_parts.append(vad.predict(x))
        emotion_parts.append(emotion.predict(x))
        done = begin + len(x)
        elapsed = time.perf_counter() - started
        progress(f"teacher: {done}/{len(goemotions_texts)} GoEmotions texts, {elapsed:.0f}s elapsed")
    out["goemotions_vad"] = np.concatenate(vad_parts) if vad_parts else np.zeros((0, 3))
    out["goemotions_intensity"] = np.concatenate(emotion_parts) if emotion_parts else np.zeros((0, 5))
    report["seconds"] = round(time.perf_counter() - started, 1)
    out["report"] = report
    graph.unlink()
    return out


def train_distilled(goemotions_dir: Path, emobank_path: Path, track_b: Path, base_checkpoint: Path,
                    out_dir: Path, args: DistillArguments, *, teacher: Optional[str] = None,
                    progress: Callable[[str], None] = print, command: Optional[str] = None) -> ModelCard:
    """The recipe of ``emoscope train distill``: teacher targets, multi-task fine-tuning of the
    GoEmotions checkpoint, then the GoEmotions model (export, lexical head, blend, calibration)
    and the VAD and intensity heads on the new encoder.  Returns the card."""
    if args.category_targets not in ("base", "gold"):
        raise ValueError(f"category_targets: 'base' or 'gold', not {args.category_targets!r}")
    started = time.perf_counter()
    base_checkpoint, out_dir = Path(base_checkpoint), Path(out_dir)
    if not (base_checkpoint / "config.json").is_file() or not (base_checkpoint / "tokenizer.json").is_file():
        raise InputNotFoundError(f"--base-checkpoint {base_checkpoint}: no config.json and tokenizer.json "
                                 "(the 'checkpoint' folder 'emoscope train goemotions' writes)")
    goemotions_args = GoEmotionsArguments(seed=args.seed, num_threads=args.num_threads)
    splits = read_goemotions_splits(Path(goemotions_dir), goemotions_args)
    train = splits[0]
    emobank, intensity = read_emobank(emobank_path), read_intensity(track_b)
    chosen = np.sort(np.random.default_rng(args.seed).choice(
        len(train.texts), min(args.goemotions_texts, len(train.texts)), replace=False))
    stages = out_dir / "stages"  # not "work": train_heads clears out_dir / "work"
    targets = _cached_teacher_targets(out_dir / "teacher_targets.npz", teacher, emobank, intensity,
                                      [train.texts[i] for i in chosen], stages, args, progress)

    vad_mean, vad_std = emobank["train"].targets.mean(axis=0), emobank["train"].targets.std(axis=0)
    emotion_mean, emotion_std = intensity["train"].targets.mean(axis=0), intensity["train"].targets.std(axis=0)

    def examples(texts, vad, emotion, labels=None):
        has_labels = labels is not None
        labels = labels if has_labels else np.zeros((len(texts), train.targets.shape[1]))
        return MultiTaskExamples(list(texts), labels.astype(np.float32), np.full(len(texts), float(has_labels)),
                                 (vad - vad_mean) / vad_std, (emotion - emotion_mean) / emotion_std)

    parts = [examples([train.texts[i] for i in chosen], targets["goemotions_vad"], targets["goemotions_intensity"],
                      labels=train.targets[chosen]),
             examples(emobank["train"].texts, emobank["train"].targets, targets["emobank_intensity"])]
    parts += [examples(intensity["train"].texts, targets["intensity_vad"], intensity["train"].targets)] * args.intensity_repeats
    data = MultiTaskExamples.concatenate(parts)
    if args.category_targets == "base":
        progress(f"the base checkpoint's category probabilities for {len(data)} texts")
        data.labels = base_probabilities(base_checkpoint, data.texts, max_length=args.max_length,
                                         num_threads=args.num_threads)
        data.has_labels = np.ones(len(data))
    progress(f"multi-task fine-tuning on {len(data)} texts for {args.epochs} epochs")
    model, info = fine_tune_multitask(base_checkpoint, data, args, progress)
    checkpoint = out_dir / "checkpoint"
    save_checkpoint(model, checkpoint, base_checkpoint)

    core = stages / "core"
    distillation = {
        "method": "multi-task fine-tuning of the GoEmotions checkpoint with a teacher (see "
                  "emoscope.train.distill): the teacher's VAD and intensity on GoEmotions texts, gold "
                  "VAD on EmoBank train, gold intensity on track B train; categories learn "
                  + ("the base checkpoint's own probabilities on every text" if args.category_targets == "base"
                     else "the gold labels of the GoEmotions texts"),
        "base_checkpoint": str(base_checkpoint),
        "base_checkpoint_command": (ModelCard.load(base_checkpoint.parent) or ModelCard("", "")).training.get("command"),
        "teacher": targets["report"],
        "arguments": args.to_dict(), "texts": len(data), "steps": info["steps"],
        "fine_tune_seconds": info["train_seconds"], "device": info["device"],
        "loss_first_tenth": info["loss_first_tenth"], "loss_last_tenth": info["loss_last_tenth"],
    }
    build_goemotions_model(model, checkpoint, info, goemotions_dir, splits, core, goemotions_args, progress=progress,
                           command=command, started=started, card_sections=(distillation_section(distillation),))
    card = train_heads(core, out_dir, emobank_path, track_b, HeadsArguments(seed=args.seed, num_threads=args.num_threads),
                       progress=progress, command=command)
    shutil.rmtree(stages, ignore_errors=True)
    progress(f"done in {time.perf_counter() - started:.0f}s; model in {out_dir}")
    return card


def _cached_teacher_targets(cache: Path, teacher, emobank, intensity, texts, stages: Path, args: DistillArguments,
                            progress) -> dict:
    """``teacher_targets``, kept in ``cache`` and reused by a rerun with the same teacher, texts
    and seed (labelling takes about 15 minutes on two cores)."""
    key = hashlib.sha256(json.dumps([teacher, args.seed, list(texts)]).encode()).hexdigest()
    if cache.is_file():
        stored = np.load(cache, allow_pickle=False)
        if str(stored["key"]) == key:
            progress(f"reusing the teacher's targets in {cache}")
            return {**{k: stored[k] for k in stored.files if k not in ("key", "report")},
                    "report": json.loads(str(stored["report"]))}
    targets = teacher_targets(teacher, emobank, intensity, texts, stages, num_threads=args.num_threads,
                              seed=args.seed, progress=progress)
    cache.parent.mkdir(parents=True, exist_ok=True)
    partial = cache.with_name(cache.stem + ".partial.npz")
    np.savez(partial, key=key, report=json.dumps(targets["report"]),
             **{k: v for k, v in targets.items() if k != "report"})
    partial.replace(cache)
    return targets


def distillation_section(distillation: dict) -> CardSection:
    """The card's section on the multi-task fine-tuning with a teacher."""
    teacher = distillation["teacher"]
    base = f"`{distillation['base_checkpoint']}`"
    if distillation.get("base_checkpoint_command"):
        base += f", written by `{distillation['base_checkpoint_command']}`"
    return CardSection("Multi-task fine-tuning with a teacher", [
        f"- Method: {distillation['method']}",
        f"- Base checkpoint: {base}",
        f"- Teacher: {teacher['base_model']}, frozen, ridge heads on every layer; dev Pearson r VAD "
        f"{teacher['emobank_dev_pearson_r']}, intensity {teacher['intensity_dev_pearson_r']}; labelling took "
        f"{teacher['seconds']} s",
        f"- {distillation['texts']} training texts, {distillation['steps']} steps on {distillation['device']} in "
        f"{distillation['fine_tune_seconds']} s; arguments `{json.dumps(distillation['arguments'])}`"])
