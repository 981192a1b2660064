"""Train on a user's table with the encoder frozen (``emoscope train custom --frozen``).

Fine-tuning a 12-layer encoder does not fit two CPU cores, but reading it does: the recipe runs
the base encoder once over the texts and fits linear heads on what it says.

1. Export the base encoder to ONNX with the output ``layers`` (every hidden state mean-pooled and
   concatenated: 13 x 768 = 9,984 features for all-mpnet-base-v2) and store its weight matrices
   as 4-bit blocks (``MatMulNBits``) and its word embeddings as int8.  The features the heads are
   fitted on come from this same quantized graph, so training and inference see the same numbers.
2. Fit a ridge regression per label (per target for regression) on the train and dev rows
   together.  The penalty of each label is chosen by k-fold cross-validation (Pearson r of the
   out-of-fold predictions, as ``train heads`` does), and the out-of-fold predictions also fit
   the label's Platt map (multi-label), the softmax temperature (single-label) and the
   thresholds.  The head is then fitted on all train and dev rows and folded, with its Platt map
   or temperature, into one linear output ``logits``.
3. The test split and ``--eval-data`` are only reported; the card's ``cross_validation`` numbers
   are out-of-fold, so no reported number comes from rows that chose or fitted the head.

Measured on SemEval 2025 Task 11 track A English (5-fold CV macro-F1 over its 2,764 training
texts, ridge on all layers): all-mpnet-base-v2 0.716 (4-bit graph) / 0.717 (fp32), the frozen
all-MiniLM-L6-v2 0.658, a TF-IDF blend did not help (0.716 at weight 0.9); the fine-tuned
MiniLM recipe scores 0.6845 on the official dev.  The 4-bit graph is 78 MB against 436 MB in fp32
and about as fast on CPU (38 vs 42 texts/s on two cores); a dynamic int8 graph was faster
(72 texts/s) but lost 0.014 CV macro-F1.  4-bit rounding moves the mean-pooled output (cosine
0.966-0.978 to fp32 on three texts; asymmetric blocks 0.978-0.985, 8-bit blocks 0.9996 at 120 MB)
without costing the heads: asymmetric blocks scored 0.7163 CV macro-F1 against 0.7172.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from ..card import ModelCard
from ..data.labelled import LabelledDataset, LabelledTexts
from ..errors import InputDecodeError
from ..evaluate import describe_labelled, labelled_metrics
from ..metrics import tune_thresholds
from ..persistence import ModelConfig, Task, write_model
from ..text.encoder import OnnxTextEncoder, sigmoid
from ..text.model import EmotionModel, softmax
from .arguments import FrozenArguments
from .base_models import resolve_base_model
from .builder import HEADLINE, training_record
from .custom import TASK_NAMES, _part_title, decision_text, part_metrics
from .export import export_pooled_encoder, quantize_encoder
from .features import (RidgeFit, RidgePath, best_penalties, cross_validated_predictions, fit_platt_per_label,
                       fold_platt, layer_features)
from .graph import add_linear_head

TEMPERATURES = tuple(float(t) for t in np.logspace(-1, 2, 31))
GRAPH = ("word embeddings int8, weight matrices 4-bit in blocks of 32 (MatMulNBits), activations and head "
         "fp32; the head was fitted on this graph's own features (no int8/fp32 choice: one graph)")


def load_encoder(base: Path):
    """A base model's encoder as `transformers` reads it, for export (eager attention, no pooler)."""
    from transformers import AutoConfig, AutoModel
    from transformers.utils import logging as hf_logging

    config = AutoConfig.from_pretrained(base)
    config._attn_implementation = "eager"  # the SDPA export runs slowly in onnxruntime
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the unused pooler's weights are reported as unexpected
    hf_logging.disable_progress_bar()
    try:
        return AutoModel.from_pretrained(base, config=config, add_pooling_layer=False).eval()
    finally:
        hf_logging.set_verbosity(verbosity)
        hf_logging.enable_progress_bar()


def export_frozen_encoder(base: Path, path: Path) -> Path:
    """``base`` as a 4-bit ONNX graph with the ``layers`` output, written to ``path``."""
    raw_graph = export_pooled_encoder(load_encoder(base), path.with_name(path.stem + "_fp32.onnx"))
    quantize_encoder(raw_graph, path)
    raw_graph.unlink()
    return path


def _fit_temperature(raw: np.ndarray, gold: np.ndarray) -> float:
    """The softmax temperature (a scale on the ridge outputs) with the lowest log loss."""
    losses = [-np.mean(np.log(np.clip(softmax(t * raw)[np.arange(len(gold)), gold], 1e-12, None)))
              for t in TEMPERATURES]
    return TEMPERATURES[int(np.argmin(losses))]


def _head(task: Task, fit: RidgeFit, out_of_fold: np.ndarray, targets: np.ndarray):
    """(head, out-of-fold scores as the model will report them, what was fitted besides the ridge)."""
    if task == Task.MULTI_LABEL:
        scale, shift = fit_platt_per_label(out_of_fold, targets)
        return (fold_platt(fit, scale, shift), sigmoid(out_of_fold * scale + shift),
                {"platt_scale": scale.round(4).tolist(), "platt_shift": shift.round(4).tolist()})
    if task == Task.SINGLE_LABEL:
        temperature = _fit_temperature(out_of_fold, targets.argmax(axis=1))
        return (RidgeFit(fit.weight * temperature, fit.bias * temperature, fit.alphas),
                softmax(temperature * out_of_fold), {"softmax_temperature": round(temperature, 4)})
    return fit, out_of_fold, {}


def train_frozen(data: LabelledDataset, out_dir: Path, args: FrozenArguments, *, source: str,
                 eval_data: Optional[LabelledTexts] = None, eval_source: str = "",
                 progress: Callable[[str], None] = print, command: Optional[str] = None) -> ModelCard:
    """Encode, fit, choose by cross-validation, evaluate and write the model; returns its card."""
    import onnx

    started = time.perf_counter()
    out_dir = Path(out_dir)
    task, labels = data.task, data.labels
    train, dev, test = data.splits["train"], data.splits["dev"], data.splits["test"]
    texts = train.texts + dev.texts
    targets = np.concatenate([train.targets, dev.targets]).astype(np.float64)
    if len(texts) < 2 * args.folds:
        raise InputDecodeError(f"{source}: {len(texts)} train and dev rows; {args.folds}-fold "
                               f"cross-validation needs at least {2 * args.folds}")

    base, base_source = resolve_base_model(args.base_model)  # before anything is written
    work = out_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    progress(f"exporting the frozen encoder {base_source} (all layers, 4-bit weights)")
    encoder_path = export_frozen_encoder(base, work / "encoder.onnx")
    tokenizer_path = base / "tokenizer.json"
    encoder = OnnxTextEncoder(encoder_path, tokenizer_path, max_tokens=args.max_tokens, stride=args.stride,
                              batch_size=args.batch_size, num_threads=args.num_threads)
    progress(f"encoding {len(texts)} train and dev texts")
    t0 = time.perf_counter()
    features = layer_features(encoder, texts)
    encode_seconds = time.perf_counter() - t0
    progress(f"encoded in {encode_seconds:.0f}s ({len(texts) / encode_seconds:.1f} texts/s); "
             f"{args.folds}-fold cross-validation of ridge heads on {features.shape[1]} features")

    alphas = list(args.alphas)
    predicted = cross_validated_predictions(features, targets, alphas, folds=args.folds, seed=args.seed)
    penalties = best_penalties(predicted, targets, alphas)
    out_of_fold = np.stack([predicted[alphas.index(a)][:, j] for j, a in enumerate(penalties)], axis=1)
    head, oof_scores, fitted = _head(task, RidgePath(features, targets).folded(penalties), out_of_fold, targets)
    thresholds = np.full(len(labels), 0.5, dtype=np.float32)
    config = ModelConfig(task=task, name=out_dir.name, quantized=True, base_model=base_source,
                         batch_size=args.batch_size, max_tokens=args.max_tokens, stride=args.stride)
    if task == Task.MULTI_LABEL:
        thresholds = tune_thresholds(targets.astype(bool), oof_scores)
        config.at_least_one_label = bool(targets.max(axis=1).min() > 0)  # as in train custom

    graph = add_linear_head(onnx.load(str(encoder_path)), "logits", head.weight, head.bias)
    write_model(out_dir, config, labels, graph=graph, tokenizer=tokenizer_path, thresholds=thresholds)
    final = EmotionModel.load(out_dir, num_threads=args.num_threads)
    metrics = {"cross_validation": {"dataset": "table", "split": "cross_validation", "source": source,
                                    **labelled_metrics(final, oof_scores, targets)}}
    if len(test):
        metrics["test"] = part_metrics(final, test, "test", source)
    if eval_data is not None:
        metrics["eval_data"] = part_metrics(final, eval_data, "eval_data", eval_source)
    shutil.rmtree(work)
    unit = "target" if task == Task.REGRESSION else "label"
    card = ModelCard(
        name=out_dir.name,
        task=f"{TASK_NAMES[task]} of {len(labels)} {unit}s trained on {source}",
        base_model=base_source,
        architecture=f"frozen encoder, every hidden state mean-pooled and concatenated ({features.shape[1]} "
                     f"features), one ridge regression per {unit}"
                     + {Task.MULTI_LABEL: " with a Platt map folded in (sigmoid)",
                        Task.SINGLE_LABEL: " scaled by a softmax temperature", Task.REGRESSION: ""}[task] + " (ONNX)",
        labels=labels,
        facts={"Graph": GRAPH,
               "Decision": decision_text(task, config.at_least_one_label, "the out-of-fold scores"),
               "Selection": f"ridge penalty per {unit} from {alphas} by {args.folds}-fold cross-validation over "
                            f"the {len(texts)} train and dev rows (Pearson r of the out-of-fold predictions); Platt "
                            f"map / temperature and thresholds fitted on the out-of-fold predictions; the head then "
                            f"fitted on all of those rows. Test and --eval-data are only reported.",
               "Inference": f"batches of {args.batch_size}: the graph has no activation quantization, so a text's "
                            f"scores do not depend on the texts beside it",
               "Size": f"{sum(f.stat().st_size for f in out_dir.iterdir() if f.is_file()) / 1e6:.1f} MB"},
        metrics=metrics,
        data={"source": source, "splits": data.split_source, **{s: len(part) for s, part in data.splits.items()},
              "dropped_rows_without_text": data.dropped_empty},
        training=training_record(args, command, started, frozen=True, encode_seconds=round(encode_seconds, 1)),
        extra={"headline_metric": HEADLINE[task], "penalties": dict(zip(labels, penalties)),
               **({"fitted": fitted} if fitted else {})})
    for part, payload in metrics.items():
        card.sections += describe_labelled(payload, _part_title(part, payload))
    card.save(out_dir)
    key = HEADLINE[task]
    summary = ", ".join(f"{part} {key} {m[key]:.4f}" for part, m in metrics.items())
    progress(f"done in {time.perf_counter() - started:.0f}s: {summary}; model in {out_dir}")
    return card
