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
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np

from ..card import write_model_card
from ..errors import InputDecodeError
from ..evaluate import evaluate_labelled, labelled_metrics
from ..io.labelled import LabelledData
from ..model import MULTI_LABEL, REGRESSION, SINGLE_LABEL, EmotionModel, sigmoid, softmax
from .base_models import resolve_base_model
from .export import export_pooled_encoder, quantize_encoder
from .goemotions import write_model_files
from .heads import (RidgeFit, _RidgePath, add_linear_head, best_penalties, cross_validated_predictions,
                    layer_features)

HEADLINE = {MULTI_LABEL: "macro_f1", SINGLE_LABEL: "macro_f1", REGRESSION: "mean_pearson_r"}
TEMPERATURES = tuple(float(t) for t in np.logspace(-1, 2, 31))


@dataclass
class FrozenArguments:
    """Settings of ``emoscope train custom --frozen``."""

    base_model: Optional[str] = None  # a name from base_models.BASE_MODEL_NAMES or a folder
    alphas: Sequence[float] = field(default_factory=lambda: (1e2, 3e2, 1e3, 3e3, 1e4, 3e4, 1e5))
    folds: int = 5
    seed: int = 42
    max_tokens: int = 128
    stride: int = 96
    batch_size: int = 32  # 4-bit weights, fp32 activations: a text's scores do not depend on its batch
    num_threads: Optional[int] = None

    def to_dict(self) -> dict:
        return {**asdict(self), "alphas": list(self.alphas)}


def _load_encoder(base: Path):
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
    raw_graph = export_pooled_encoder(_load_encoder(base), path.with_name(path.stem + "_fp32.onnx"))
    quantize_encoder(raw_graph, path)
    raw_graph.unlink()
    return path


def _fit_temperature(raw: np.ndarray, gold: np.ndarray) -> float:
    """The softmax temperature (a scale on the ridge outputs) with the lowest log loss."""
    losses = [-np.mean(np.log(np.clip(softmax(t * raw)[np.arange(len(gold)), gold], 1e-12, None)))
              for t in TEMPERATURES]
    return TEMPERATURES[int(np.argmin(losses))]


def _head(task: str, fit: RidgeFit, out_of_fold: np.ndarray, targets: np.ndarray):
    """(weight, bias, out-of-fold scores as the model will report them, what was fitted)."""
    from .multilingual import calibrated_head, fit_platt_masked

    if task == MULTI_LABEL:
        scale, shift = fit_platt_masked(out_of_fold, targets)
        head = calibrated_head(fit.weight, fit.bias, scale, shift)
        scores = sigmoid(out_of_fold * scale + shift)
        return head.weight, head.bias, scores, {"platt_scale": scale.round(4).tolist(),
                                                "platt_shift": shift.round(4).tolist()}
    if task == SINGLE_LABEL:
        temperature = _fit_temperature(out_of_fold, targets.argmax(axis=1))
        return (fit.weight * temperature, fit.bias * temperature, softmax(temperature * out_of_fold),
                {"softmax_temperature": round(temperature, 4)})
    return fit.weight, fit.bias, out_of_fold, {}


def train_frozen(data: LabelledData, out_dir: Path, args: FrozenArguments, *, source: str,
                 eval_data: Optional[LabelledData] = None, eval_source: str = "",
                 progress: Callable[[str], None] = print, command: Optional[str] = None) -> dict:
    """Encode, fit, choose by cross-validation, evaluate and write the model; returns its card."""
    import onnx

    from ..inference import OnnxTextEncoder
    from ..metrics import tune_thresholds

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
    fit = _RidgePath(features, targets).folded(penalties)
    weight, bias, oof_scores, fitted = _head(task, fit, out_of_fold, targets)
    thresholds = np.full(len(labels), 0.5, dtype=np.float32)
    extra = {"task": task, "name": out_dir.name, "quantized": True, "base_model": base_source,
             "batch_size": args.batch_size, "max_tokens": args.max_tokens, "stride": args.stride}
    if task == MULTI_LABEL:
        thresholds = tune_thresholds(targets.astype(bool), oof_scores)
        extra["at_least_one_label"] = bool(targets.max(axis=1).min() > 0)  # as in train custom

    graph = add_linear_head(onnx.load(str(encoder_path)), "logits", weight, bias)
    onnx.save(graph, str(work / "model.onnx"))
    write_model_files(out_dir, onnx_path=work / "model.onnx", tokenizer_path=tokenizer_path, labels=labels,
                      thresholds=thresholds, lexical=None, encoder_weight=1.0, extra_config=extra)
    final = EmotionModel.load(out_dir, num_threads=args.num_threads)
    metrics = {"cross_validation": labelled_metrics(final, oof_scores, targets)}
    if len(test.texts):
        metrics["test"] = evaluate_labelled(final, test.texts, test.targets)
    if eval_data is not None:
        held = eval_data.splits["train"]
        metrics["eval_data"] = {"source": eval_source, **evaluate_labelled(final, held.texts, held.targets)}
    shutil.rmtree(work)
    wall = time.perf_counter() - started
    key = HEADLINE[task]
    what = {MULTI_LABEL: "multi-label classification", SINGLE_LABEL: "single-label classification",
            REGRESSION: "regression"}[task]
    card = {
        "name": out_dir.name,
        "task": f"{what} of {len(labels)} {'targets' if task == REGRESSION else 'labels'} trained on {source}",
        "custom": True,
        "base_model": base_source,
        "architecture": f"frozen encoder, every hidden state mean-pooled and concatenated ({features.shape[1]} "
                        f"features), one ridge regression per {'target' if task == REGRESSION else 'label'}"
                        + {MULTI_LABEL: " with a Platt map folded in (sigmoid)",
                           SINGLE_LABEL: " scaled by a softmax temperature",
                           REGRESSION: ""}[task] + " (ONNX)",
        "quantization": "word embeddings int8, weight matrices 4-bit in blocks of 32 (MatMulNBits), "
                        "activations and head fp32; the head was fitted on this graph's own features",
        "decision": {MULTI_LABEL: "one threshold per label, chosen on the out-of-fold scores to maximise "
                                  "its F1" + ("; a text with no label above threshold gets its best label"
                                              if extra.get("at_least_one_label") else
                                              "; a text may get no label, as some training texts have none"),
                     SINGLE_LABEL: "the label with the highest softmax probability",
                     REGRESSION: "the head's outputs, on the targets' own scale"}[task],
        "selection": f"ridge penalty per {'target' if task == REGRESSION else 'label'} from {alphas} by "
                     f"{args.folds}-fold cross-validation over the {len(texts)} train and dev rows (Pearson r "
                     f"of the out-of-fold predictions); Platt map / temperature and thresholds fitted on "
                     f"the out-of-fold predictions; the head then fitted on all of those rows. Test and "
                     f"--eval-data are only reported.",
        "penalties": dict(zip(labels, penalties)),
        **({"fitted": fitted} if fitted else {}),
        "inference": f"batches of {args.batch_size}: the graph has no activation quantization, so a text's "
                     f"scores do not depend on the texts beside it",
        "data": {"source": source, "splits": data.split_source,
                 **{split: len(part.texts) for split, part in data.splits.items()},
                 "dropped_rows_without_text": data.dropped_empty},
        "training": {"command": command or " ".join(sys.argv), "seed": args.seed, "frozen": True,
                     "arguments": args.to_dict(), "encode_seconds": round(encode_seconds, 1),
                     "wall_seconds": round(wall, 1)},
        "headline_metric": key,
        "metrics": metrics,
        "labels": labels,
        "size_mb": round(sum(f.stat().st_size for f in out_dir.iterdir() if f.is_file()) / 1e6, 1),
    }
    write_model_card(out_dir, card)
    summary = ", ".join(f"{part} {key} {m[key]:.4f}" for part, m in metrics.items())
    progress(f"done in {wall:.0f}s: {summary}; model in {out_dir}")
    return card
