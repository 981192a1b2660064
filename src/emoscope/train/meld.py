"""The MELD recipe (``emoscope train meld``): the dialogue turn model (Ekman 6 + neutral, one per turn).

1. :func:`.dialogue.fine_tune_dialogue` fine-tunes MiniLM end to end with a bidirectional GRU over
   the turn vectors of whole MELD train dialogues (class-weighted cross-entropy on the turn alone
   and on the turn in context);
2. the encoder is exported with its turn head, optimised and quantized to int8 with activation
   scales fixed on training turns (so turns batched together do not couple), the GRU and its head
   as a second graph (``context.onnx``);
3. a TF-IDF logistic-regression head is fitted on the train turns;
4. on **dev** weighted-F1: the context window (turns on each side) from ``context_turns_grid``
   and the encoder's weight in the TF-IDF blend together, and int8 or fp32 (int8 kept within
   ``quantize_tolerance``; a graph over ``max_graph_mb`` is no candidate);
5. dev and test are reported with the chosen window and, as the ablation, with 0 (the turn
   head alone), 1, 3 and 5 turns on each side.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from ..card import ModelCard, read_model_card
from ..data.meld import LICENCE, MELD_FILES, MELD_LABELS, labelled_dialogues, read_meld
from ..evaluate import describe, evaluate_context_model
from ..metrics import weighted_f1
from ..persistence import CONTEXT_GRAPH_FILE, ModelConfig, Task, write_model
from ..text.context import ContextEmotionModel, turn_text
from .arguments import MeldArguments
from .base_models import MINILM, SOURCES
from .builder import GraphChoice, graph_sizes, pick_variant, training_record
from .dialogue import export_context_graph, export_turn_encoder, fine_tune_dialogue_or_reuse
from .export import calibration_feeds, freeze_activation_scales, optimize_onnx, quantize_onnx
from .lexical import fit_lexical_head
from .trainer import CHECKPOINT

# a turn's label is its best score; thresholds.json is still written, as for every sigmoid-task model
UNUSED_THRESHOLDS = np.full(len(MELD_LABELS), 0.5)
LITERATURE = ("about 0.57 for recurrent models with context, about 0.65 for RoBERTa-large with context "
              "(weighted-F1, text only)")


def _dev_scores(model: ContextEmotionModel, dialogues, windows, weights) -> dict[tuple[int, float], float]:
    """Dev weighted-F1 of each (context window, encoder weight in the TF-IDF blend), from one
    encoder pass a dialogue."""
    parts = model.components_of([(speakers, texts) for speakers, texts, _ in dialogues], windows)
    gold = np.concatenate([g for _, _, g in dialogues])
    lexical = None if parts[0][1] is None else np.concatenate([p[1] for p in parts])
    out = {}
    for k in windows:
        network = np.concatenate([p[0][k] for p in parts])
        for w in weights if lexical is not None else [1.0]:
            scores = network if lexical is None else w * network + (1 - w) * lexical
            out[k, w] = weighted_f1(gold, scores.argmax(1), len(model.labels))
    return out


def _export(network, checkpoint: Path, work: Path, calibration_texts: list[str], args: MeldArguments) -> dict:
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(checkpoint)
    raw = export_turn_encoder(network, work / "encoder_raw.onnx")
    fp32 = optimize_onnx(raw, work / "encoder_fp32.onnx", config.num_attention_heads, config.hidden_size)
    dynamic = quantize_onnx(fp32, work / "encoder_dynamic.onnx")
    feeds = calibration_feeds(checkpoint / "tokenizer.json", calibration_texts, args.max_length)
    return {"fp32": fp32, "int8": freeze_activation_scales(dynamic, work / "encoder_int8.onnx", feeds,
                                                           args.calibration_percentile)}


def train_meld(data_dir: Path, out_dir: Path, args: MeldArguments, *,
               progress: Callable[[str], None] = print, command: Optional[str] = None) -> ModelCard:
    started = time.perf_counter()
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    splits = {name: read_meld(data_dir, name) for name in MELD_FILES}
    train = splits["train"].head(args.max_train_samples)
    dev, test = (splits[s].head(args.max_eval_samples) for s in ("dev", "test"))
    work = out_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    checkpoint = out_dir / CHECKPOINT
    network, train_info = fine_tune_dialogue_or_reuse(checkpoint, labelled_dialogues(train), MELD_LABELS, args,
                                                      progress, recipe={"task": Task.DIALOGUE_TURN.value,
                                                                        "network": "turn vectors + bi-GRU"})
    progress("exporting: the encoder (fp32; int8 with activation scales fixed on training turns) and the GRU")
    rng = np.random.default_rng(args.seed)
    calibration = [turn_text(train.texts[i]) for i in rng.permutation(len(train))[:args.calibration_texts]]
    graphs = _export(network, checkpoint, work, calibration, args)
    context_graph = export_context_graph(network, work / CONTEXT_GRAPH_FILE)
    progress("fitting the TF-IDF logistic-regression head on the turns")
    lexical = fit_lexical_head([turn_text(t) for t in train.texts], train.targets, args)

    windows = [args.context_turns] if args.context_turns is not None else list(args.context_turns_grid)
    dev_dialogues = labelled_dialogues(dev)
    config = ModelConfig(task=Task.DIALOGUE_TURN, name=out_dir.name, context_file=CONTEXT_GRAPH_FILE,
                         long_texts="truncate", max_tokens=args.max_length, stride=args.max_length - 2,
                         batch_size=args.inference_batch_size,
                         base_model=args.base_model or "sentence-transformers/all-MiniLM-L6-v2")
    measured = {}
    sizes, excluded = graph_sizes(graphs, args.max_graph_mb)
    for variant, graph in graphs.items():
        write_model(work / variant, config, MELD_LABELS, graph=graph, tokenizer=checkpoint / "tokenizer.json",
                    thresholds=UNUSED_THRESHOLDS, lexical=lexical, context_graph=context_graph)
        dev_f1 = _dev_scores(ContextEmotionModel.load(work / variant, num_threads=args.num_threads),
                             dev_dialogues, windows, args.encoder_weight_grid)
        # ties: the shorter window, then the larger encoder weight
        best = max(dev_f1, key=lambda kw: (round(dev_f1[kw], 6), -kw[0], kw[1]))
        measured[variant] = (best, dev_f1)
        progress(f"{variant}: dev weighted-F1 {dev_f1[best]:.4f} with {best[0]} turns on each side, encoder "
                 f"weight {best[1]}")
    dev_best = {v: measured[v][1][measured[v][0]] for v in graphs}
    chosen = pick_variant(dev_best, excluded, args.quantize_tolerance)
    (k, weight), dev_f1 = measured[chosen]
    choice = GraphChoice(chosen, graphs[chosen], weight, UNUSED_THRESHOLDS, "weighted_f1", dev_best, sizes,
                         excluded, args.quantize_tolerance, f"static: activation scales fixed on "
                                                            f"{len(calibration)} training turns")
    config.context_turns, config.encoder_weight, config.quantized = k, weight, chosen != "fp32"
    write_model(out_dir, config, MELD_LABELS, graph=graphs[chosen], tokenizer=checkpoint / "tokenizer.json",
                thresholds=UNUSED_THRESHOLDS, lexical=lexical, context_graph=context_graph)

    final = ContextEmotionModel.load(out_dir, num_threads=args.num_threads)
    payloads = {name: {"dataset": "meld", "split": name, "model": final.name,
                       **evaluate_context_model(final, rows).to_dict()}
                for name, rows in (("test", test), ("dev", dev))}
    by_window = {w: v for (w, ew), v in dev_f1.items() if ew == weight}
    card = _card(out_dir, data_dir, args, command, started, train_info, choice, by_window, k,
                 {"train": len(train), "dev": len(dev), "test": len(test)})
    card.add_metrics(payloads["test"], describe(payloads["test"]))
    dev_result = payloads["dev"]
    card.facts["Dev (where the window and the graph were chosen)"] = (
        f"weighted-F1 {dev_result['weighted_f1']:.4f} with context, {dev_result['weighted_f1_no_context']:.4f} "
        f"for the turn alone")
    card.save(out_dir)
    shutil.rmtree(work, ignore_errors=True)
    result = payloads["test"]
    progress(f"done in {time.perf_counter() - started:.0f}s: test weighted-F1 {result['weighted_f1']:.4f} with "
             f"context, {result['weighted_f1_no_context']:.4f} for the turn alone; model in {out_dir}")
    return card


def _base_model_facts(base_model: Optional[str]) -> dict:
    """How a fine-tuned base checkpoint was made, from the card its recipe left beside it (a
    ``runs/<name>/checkpoint`` of ``emoscope train goemotions``), so the card tells how to rebuild
    the whole chain."""
    card = read_model_card(Path(base_model).parent) if base_model else None
    if not card or not card.get("training", {}).get("command"):
        return {}
    training = card["training"]
    return {"Base model made by": f"`{training['command']}` ({training.get('wall_seconds', '?')} s)"}


def _card(out_dir: Path, data_dir: Path, args: MeldArguments, command, started: float, train_info: dict,
          choice: GraphChoice, dev_by_window: dict, k: int, rows: dict) -> ModelCard:
    windows = ", ".join(f"{w}: {v:.4f}" for w, v in dev_by_window.items())
    return ModelCard(
        name=out_dir.name,
        task="emotion of each dialogue turn in context (Ekman 6 + neutral, one per turn)",
        base_model=args.base_model or SOURCES[MINILM],
        architecture=f"MiniLM-L6 encoder, mean pooling, a linear head on each turn (the turn alone); a "
                     f"bidirectional GRU ({args.context_hidden} per direction) over the turn vectors and who speaks, "
                     f"and a linear head on the turn's vector and GRU state (the turn in context, {k} turns on "
                     f"each side); fine-tuned together on whole dialogues"
                     + (f"; blended with a TF-IDF head (encoder weight {choice.encoder_weight})"
                        if choice.encoder_weight < 1 else ""),
        labels=list(MELD_LABELS),
        facts={**_base_model_facts(args.base_model),
               "Input": "each turn's text alone (no speaker names: the GRU reads who speaks as 'first, second, "
                        "... speaker of the window' and 'same speaker as the turn before')",
               "Training loss": f"cross-entropy of both heads, classes weighted by inverse frequency to the power "
                                f"{args.class_balance} (so fear and disgust are learnt)",
               "Context window": f"{k} turns on each side, chosen on dev weighted-F1 with the TF-IDF blend weight "
                                 f"(dev by window at the chosen weight: {windows})",
               "Shipped graph": choice.describe() + "; the GRU: fp32 ONNX (context.onnx)",
               "Ablation": "the same fine-tuning's turn head (each turn alone, 0 turns) and its GRU given 1, 3 "
                           "and 5 turns on each side",
               "For scale, published text-only results": LITERATURE,
               "Inference": f"each dialogue's turns in batches of {args.inference_batch_size}: the int8 graph's "
                            "activation scales are constants fixed on training turns, so a turn's scores do not "
                            "depend on the turns beside it in a batch, only on those in its window"},
        data={"datasets": [LICENCE], "path": str(data_dir), **rows},
        training=training_record(args, command, started, device=train_info["device"],
                                 fine_tune_seconds=train_info["train_seconds"]),
        extra={"context_turns": k, "quantization": choice.to_dict()})
