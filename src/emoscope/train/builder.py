"""The model builder: from a fine-tuned classifier's exported graphs to a model directory.

Every recipe that fine-tunes (``train goemotions``, ``train custom``, ``train meld``,
``train distill``) goes through :func:`choose_graph` and :func:`save_choice`:

1. each candidate graph (fp32, int8) is written as a model and scored on **dev**;
2. on dev, the TF-IDF blend weight and the per-label thresholds are chosen (multi-label: each
   label's F1; dialogue turns: weighted-F1 of the best label; single-label and regression: no
   blend), and the candidate's dev headline metric is measured;
3. int8 is kept when its dev metric is within ``quantize_tolerance`` of fp32's, and a graph over
   ``max_graph_mb`` is no candidate at all (it is still measured, so the card shows the cost);
4. the chosen graph, weight and thresholds are saved (:func:`emoscope.persistence.write_model`).

Test data is never used here: recipes only report on it afterwards.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np

from ..errors import EmoscopeError
from ..evaluate import labelled_metrics
from ..metrics import decide, multilabel_report, tune_thresholds, weighted_f1
from ..persistence import ModelConfig, Task, write_model
from ..text.model import EmotionModel
from .arguments import ClassifierArguments, TrainingArguments

HEADLINE = {Task.MULTI_LABEL: "macro_f1", Task.SINGLE_LABEL: "macro_f1", Task.REGRESSION: "mean_pearson_r",
            Task.DIALOGUE_TURN: "weighted_f1"}
INFERENCE_NOTE = ("one text per model run (batch size 1), so a text's scores never depend on the "
                  "texts processed beside it; all metrics are measured this way")


@dataclass
class GraphChoice:
    """What :func:`choose_graph` chose on dev, and what it measured to choose it."""

    variant: str
    graph: Path
    encoder_weight: float
    thresholds: np.ndarray
    metric: str  # the dev headline metric
    dev: dict[str, float] = field(default_factory=dict)  # variant -> dev metric
    size_mb: dict[str, float] = field(default_factory=dict)
    excluded: dict[str, str] = field(default_factory=dict)  # variant -> why it was no candidate
    tolerance: float = 0.0
    int8_kind: str = "dynamic"  # or "static": activation scales fixed on training texts

    @property
    def quantized(self) -> bool:
        return self.variant != "fp32"

    def describe(self) -> str:
        """One sentence for the model card."""
        shown = {"int8": f"int8 ({self.int8_kind})", "fp32": "fp32"}
        measured = ", ".join(f"{v} {self.dev[v]:.4f}" for v in self.dev)
        out = (f"{shown.get(self.variant, self.variant)}, chosen on dev {self.metric.replace('_', ' ')} "
               f"({measured}; int8 is kept within {self.tolerance} of fp32)")
        sizes = ", ".join(f"{v} {mb:.1f} MB" for v, mb in self.size_mb.items())
        out += f"; graphs {sizes}" if sizes else ""
        return out + "".join(f"; {v} was no candidate: {why}" for v, why in self.excluded.items())

    def to_dict(self) -> dict:
        return {"shipped": self.variant, "int8_kind": self.int8_kind, "chosen_on": "dev", "metric": self.metric,
                "tolerance": self.tolerance,
                **{f"{v}_dev_{self.metric}": round(x, 4) for v, x in self.dev.items()},
                **{f"{v}_onnx_mb": round(mb, 1) for v, mb in self.size_mb.items()},
                **({"excluded": self.excluded} if self.excluded else {})}


def select_blend(model: EmotionModel, parts, gold: np.ndarray, grid: Sequence[float]):
    """(encoder weight, thresholds, dev macro-F1): the weight and per-label thresholds that
    maximise dev macro-F1 of a multi-label model."""
    best = None
    for weight in grid if parts.lexical is not None else [1.0]:
        scores = model.blend(parts, weight)
        thresholds = tune_thresholds(gold, scores)
        predicted = decide(scores, thresholds, model.config.at_least_one_label)
        f1 = multilabel_report(gold, predicted, model.labels).macro_f1
        if best is None or f1 > best[2] + 1e-9:
            best = (float(weight), thresholds, f1)
    return best


def dev_choice(model: EmotionModel, texts: Sequence[str], targets: np.ndarray, grid: Sequence[float]):
    """(encoder weight, thresholds, dev headline metric) of a candidate model, by its task."""
    thresholds = np.full(len(model.labels), 0.5, dtype=np.float32)
    if model.task == Task.MULTI_LABEL:
        return select_blend(model, model.component_scores(texts), targets, grid)
    if model.task == Task.DIALOGUE_TURN:  # one label per turn: the best score; weight by weighted-F1
        parts = model.component_scores(texts)
        gold, grid = targets.argmax(axis=1), sorted(set(grid) | {1.0})
        f1 = {w: weighted_f1(gold, model.blend(parts, w).argmax(1), len(model.labels)) for w in grid}
        weight = max(grid, key=lambda w: (round(f1[w], 6), w))
        return float(weight), thresholds, f1[weight]
    metrics = labelled_metrics(model, model.predict_proba(texts), targets)
    return 1.0, thresholds, metrics[HEADLINE[model.task]]


def choose_graph(work: Path, graphs: dict[str, Path], *, config: ModelConfig, labels: Sequence[str],
                 tokenizer: Path, lexical, dev_texts: Sequence[str], dev_targets: np.ndarray,
                 args: ClassifierArguments, progress: Callable[[str], None] = print,
                 int8_kind: str = "dynamic") -> GraphChoice:
    """Score each candidate graph on dev with its own blend and thresholds; choose (see module)."""
    metric = HEADLINE[config.task]
    measured = {}
    sizes, excluded = graph_sizes(graphs, args.max_graph_mb)
    for variant, graph in graphs.items():
        candidate = work / variant
        write_model(candidate, config, labels, graph=graph, tokenizer=tokenizer,
                    thresholds=np.full(len(labels), 0.5), lexical=lexical)
        model = EmotionModel.load(candidate, num_threads=args.num_threads)
        weight, thresholds, value = dev_choice(model, dev_texts, dev_targets, args.encoder_weight_grid)
        measured[variant] = (weight, thresholds, float(value))
        progress(f"{variant}: encoder weight {weight}, dev {metric.replace('_', ' ')} {value:.4f}")
    chosen = pick_variant({v: m[2] for v, m in measured.items()}, excluded, args.quantize_tolerance)
    weight, thresholds, _ = measured[chosen]
    return GraphChoice(chosen, graphs[chosen], weight, thresholds, metric,
                       {v: m[2] for v, m in measured.items()}, sizes, excluded, args.quantize_tolerance, int8_kind)


def graph_sizes(graphs: dict[str, Path], max_graph_mb: Optional[float]) -> tuple[dict, dict]:
    """({variant: MB}, {variant: why it is no candidate}) of candidate graphs under a size limit."""
    sizes = {variant: graph.stat().st_size / 1e6 for variant, graph in graphs.items()}
    return sizes, {v: f"{mb:.1f} MB is over the {max_graph_mb:g} MB limit" for v, mb in sizes.items()
                   if max_graph_mb is not None and mb > max_graph_mb}


def pick_variant(dev_metric: dict[str, float], excluded: dict[str, str], tolerance: float) -> str:
    """The graph to ship: int8 when it is within ``tolerance`` of fp32's dev metric, else fp32;
    among the candidates not ``excluded`` (the first one left when only one is)."""
    allowed = [v for v in dev_metric if v not in excluded]
    if not allowed:
        raise EmoscopeError(f"no graph fits: {'; '.join(f'{v}: {why}' for v, why in excluded.items())}")
    if "int8" in allowed and "fp32" in allowed:
        return "int8" if dev_metric["int8"] >= dev_metric["fp32"] - tolerance else "fp32"
    return allowed[0]


def save_choice(out_dir: Path, choice: GraphChoice, *, config: ModelConfig, labels: Sequence[str],
                tokenizer: Path, lexical) -> Path:
    """Write the chosen graph with its blend weight and thresholds as the model in ``out_dir``."""
    config.encoder_weight = round(choice.encoder_weight, 4)
    config.quantized = choice.quantized
    return write_model(out_dir, config, labels, graph=choice.graph, tokenizer=tokenizer,
                       thresholds=choice.thresholds, lexical=lexical)


def training_record(args: TrainingArguments, command: Optional[str], started: float, **timings) -> dict:
    """The card's ``training`` record: command, seed, arguments, device, timings, and the int8
    kernels the card's numbers were measured with (:func:`emoscope.runtime.int8_kernels`)."""
    from ..runtime import int8_kernels

    return {"command": command or " ".join(sys.argv), "seed": args.seed, "arguments": args.to_dict(),
            **timings, "wall_seconds": round(time.perf_counter() - started, 1), "int8_kernels": int8_kernels()}
