"""The dialogue turn network (``emoscope train meld``): fine-tuned end to end, exported as two graphs.

:class:`DialogueNetwork` is a MiniLM encoder that mean-pools each turn into a vector, a linear
head on that vector (the turn alone) and, over the vectors of a dialogue's turns with who speaks
(:func:`emoscope.text.context.speaker_features`), a bidirectional GRU and a linear head on the
turn's vector and the GRU's state (the turn in context), as bc-LSTM (Poria et al., 2017) does
over fixed features.  Here the encoder learns with the GRU: every batch holds whole dialogues,
each turn is encoded once, and both heads' cross-entropy (classes weighted by inverse frequency
to the power ``class_balance``, so that fear and disgust stay alive) trains every part.

:func:`export_context_graph` writes the GRU and its head as an ONNX graph built from the ONNX
``GRU`` operator (time-major, a length per window), which the runtime reads windows with.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np

from ..text.context import SPEAKER_FEATURES, speaker_features, turn_text, window_bounds
from .arguments import MeldArguments
from .trainer import (adamw_with_warmup, default_base_model, finished_run, pad, record_run, report_step,
                      save_checkpoint, seed_everything, take_step, tokenize)

NETWORK_FILE = "dialogue_network.json"  # beside the encoder's checkpoint: the heads' shapes
HEADS_FILE = "dialogue_heads.pt"


def _network_class():
    import torch
    from torch import nn
    from transformers import AutoConfig, BertModel

    from .modeling import mean_pool

    class DialogueNetwork(nn.Module):
        """Encoder, turn head, bidirectional GRU over turn vectors and speakers, context head."""

        def __init__(self, base: Path, n_labels: int, hidden: int):
            super().__init__()
            config = AutoConfig.from_pretrained(base)
            config._attn_implementation = "eager"  # exports to a graph onnxruntime runs fast
            self.bert = BertModel.from_pretrained(base, config=config, add_pooling_layer=False)
            width = config.hidden_size
            self.dropout = nn.Dropout(config.hidden_dropout_prob)
            self.turn_head = nn.Linear(width, n_labels)
            self.gru = nn.GRU(width + SPEAKER_FEATURES, hidden, bidirectional=True)  # time-major, as ONNX
            self.context_head = nn.Linear(width + 2 * hidden, n_labels)

        def pooled(self, input_ids, attention_mask):
            return mean_pool(self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state,
                             attention_mask)

        def contextual(self, vectors, who, lengths):
            """(steps, windows, labels) logits of each turn of each window (time-major inputs)."""
            packed = nn.utils.rnn.pack_padded_sequence(torch.cat([vectors, who], -1), torch.as_tensor(lengths),
                                                       enforce_sorted=False)
            states, _ = self.gru(packed)
            states, _ = nn.utils.rnn.pad_packed_sequence(states, total_length=vectors.shape[0])
            return self.context_head(torch.cat([vectors, states], -1))

    return DialogueNetwork


def _windows(vectors, spans: Sequence[tuple[int, int]], features: Sequence[np.ndarray]):
    """Time-major zero-padded (steps, windows, dim) vectors and speaker features of ``spans``."""
    import torch

    steps = max(b - a for a, b in spans)
    x = vectors.new_zeros((steps, len(spans), vectors.shape[1]))
    who = torch.zeros((steps, len(spans), SPEAKER_FEATURES))
    for w, ((a, b), f) in enumerate(zip(spans, features)):
        x[:b - a, w] = vectors[a:b]
        who[:b - a, w] = torch.from_numpy(f)
    return x, who


def training_windows(bounds: np.ndarray, speakers: Sequence[Sequence[str]], features: Sequence[np.ndarray],
                     context_turns: Optional[int]):
    """The GRU's windows over a batch's turns: (spans of rows of the batch's vectors, their speaker
    features, (window, position) of each turn in turn order).  ``context_turns`` None: one window a
    dialogue; k: one a turn, up to k turns on each side, its speakers counted within the window
    (as :func:`emoscope.text.context.turn_windows` frames them at inference)."""
    spans, who, window, position = [], [], [], []
    for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
        n = b - a
        starts, ends = window_bounds(n, n if context_turns is None else context_turns)
        whole = len(starts) == 1
        for t in range(n):  # one window a turn, or the whole dialogue's for every turn
            w = 0 if whole else t
            window.append(len(spans) + w)
            position.append(t - int(starts[w]))
        for start, end in zip(starts, ends):
            spans.append((a + start, a + end))
            who.append(features[i] if whole else speaker_features(list(speakers[i][start:end])))
    return spans, who, (np.array(window), np.array(position))


def class_weights(gold: np.ndarray, n_labels: int, power: float) -> np.ndarray:
    """Inverse class frequency to ``power`` (0: unweighted, 1: balanced), mean 1 over turns."""
    counts = np.maximum(np.bincount(gold, minlength=n_labels), 1).astype(np.float64)
    return ((counts.sum() / (n_labels * counts)) ** power).astype(np.float32)


def fine_tune_dialogue(dialogues: Sequence[tuple[list[str], list[str], np.ndarray]], labels: Sequence[str],
                       args: MeldArguments, progress: Optional[Callable[[str], None]] = None):
    """Fine-tune a :class:`DialogueNetwork` on ``dialogues`` ((speakers, texts, gold class) each);
    batches of whole dialogues, at least ``batch_size`` turns each.  Returns (network, info)."""
    import torch
    from torch import nn

    seed_everything(args.seed)
    if args.num_threads:
        torch.set_num_threads(args.num_threads)
    base = Path(args.base_model) if args.base_model else default_base_model()
    network = _network_class()(base, len(labels), args.context_hidden)
    encoded = [tokenize(base / "tokenizer.json", [turn_text(t) for t in texts], args.max_length)
               for _, texts, _ in dialogues]
    features = [speaker_features(speakers) for speakers, _, _ in dialogues]
    gold = np.concatenate([g for _, _, g in dialogues])
    loss_fn = nn.CrossEntropyLoss(weight=torch.from_numpy(class_weights(gold, len(labels), args.class_balance)))
    rng = np.random.default_rng(args.seed)

    def epoch_batches() -> list[list[int]]:
        batches, batch, turns = [], [], 0
        for d in rng.permutation(len(dialogues)):
            batch.append(int(d))
            turns += len(encoded[d])
            if turns >= args.batch_size:
                batches.append(batch)
                batch, turns = [], 0
        return batches + ([batch] if batch else [])

    total_steps = max(1, int(round(len(epoch_batches()) * args.epochs)))
    encoder_parameters = [(n, p) for n, p in network.named_parameters() if n.startswith("bert.")]
    optimizer, scheduler = adamw_with_warmup(encoder_parameters, args, total_steps)
    optimizer.add_param_group({"params": [p for n, p in network.named_parameters() if not n.startswith("bert.")],
                               "lr": args.head_learning_rate, "weight_decay": 0.0})
    scheduler.base_lrs.append(args.head_learning_rate)  # the heads follow the same warm-up and decay
    scheduler.lr_lambdas.append(scheduler.lr_lambdas[0])
    network.train()
    step, started, running = 0, time.perf_counter(), 0.0
    while step < total_steps:
        for batch in epoch_batches():
            if step >= total_steps:
                break
            input_ids, mask = pad([ids for d in batch for ids in encoded[d]])
            vectors = network.dropout(network.pooled(input_ids, mask))
            bounds = np.cumsum([0] + [len(encoded[d]) for d in batch])
            spans, who_speaks, where = training_windows(bounds, [dialogues[d][0] for d in batch],
                                                        [features[d] for d in batch], args.train_context_turns)
            x, who = _windows(vectors, spans, who_speaks)
            in_context = network.contextual(x, who, [b - a for a, b in spans])
            in_context = in_context[torch.as_tensor(where[1]), torch.as_tensor(where[0])]
            target = torch.from_numpy(np.concatenate([dialogues[d][2] for d in batch])).long()
            loss = loss_fn(in_context, target) + loss_fn(network.turn_head(vectors), target)
            value = take_step(loss, list(network.parameters()), optimizer, scheduler)
            running = 0.98 * running + 0.02 * value if step else value
            step += 1
            report_step(progress, step, total_steps, running, started)
    network.eval()
    return network, {"steps": total_steps, "device": "cpu", "base_model": str(base),
                     "train_seconds": round(time.perf_counter() - started, 1)}


def save_network(network, checkpoint: Path, base: Path) -> None:
    """The encoder as a ``transformers`` checkpoint (with the base's tokenizer), the heads beside it."""
    import torch

    save_checkpoint(network.bert, checkpoint, base)
    heads = {k: v for k, v in network.state_dict().items() if not k.startswith("bert.")}
    torch.save(heads, checkpoint / HEADS_FILE)
    (checkpoint / NETWORK_FILE).write_text(json.dumps({"labels": network.turn_head.out_features,
                                                       "hidden": network.gru.hidden_size}))


def load_network(checkpoint: Path):
    import torch

    shape = json.loads((checkpoint / NETWORK_FILE).read_text())
    network = _network_class()(checkpoint, shape["labels"], shape["hidden"])
    network.load_state_dict(torch.load(checkpoint / HEADS_FILE), strict=False)
    return network.eval()


def fine_tune_dialogue_or_reuse(checkpoint: Path, dialogues, labels: Sequence[str], args: MeldArguments,
                                progress: Callable[[str], None], recipe: dict):
    """:func:`fine_tune_dialogue`, saved to ``checkpoint``; or the finished run there when its
    arguments and ``recipe`` are the same (a rerun goes straight to export)."""
    checkpoint = Path(checkpoint)
    key = {"args": args.to_dict(), "recipe": recipe}
    info = finished_run(checkpoint, key)
    if info is not None:
        progress(f"reusing the finished fine-tuning in {checkpoint}")
        return load_network(checkpoint), info
    progress(f"fine-tuning on {sum(len(g) for _, _, g in dialogues)} turns an epoch for {args.epochs} epochs")
    network, info = fine_tune_dialogue(dialogues, labels, args, progress)
    save_network(network, checkpoint, Path(info["base_model"]))
    record_run(checkpoint, key, info)
    return network, info


def export_turn_encoder(network, path: Path) -> Path:
    """ONNX graph of the encoder with outputs ``logits`` (the turn head) and ``embedding``."""
    import torch

    class TurnEncoder(torch.nn.Module):
        def __init__(self, network):
            super().__init__()
            self.network = network

        def forward(self, input_ids, attention_mask):
            pooled = self.network.pooled(input_ids, attention_mask)
            return self.network.turn_head(pooled), pooled

    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]], dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(TurnEncoder(network).eval(), (ids, (ids != 0).long()), str(path),
                          input_names=["input_ids", "attention_mask"], output_names=["logits", "embedding"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                                        "attention_mask": {0: "batch", 1: "sequence"},
                                        "logits": {0: "batch"}, "embedding": {0: "batch"}},
                          opset_version=17, dynamo=False, do_constant_folding=True)
    return path


def _onnx_gates(weight: np.ndarray, hidden: int) -> np.ndarray:
    """PyTorch stacks a GRU's gates as (reset, update, new), ONNX as (update, reset, new)."""
    r, z, n = (weight[i * hidden:(i + 1) * hidden] for i in range(3))
    return np.concatenate([z, r, n])


def onnx_gru_weights(gru) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A bidirectional ``torch.nn.GRU``'s weights as the ONNX ``GRU`` operator's W, R and B."""
    hidden = gru.hidden_size
    state = {k: v.detach().cpu().numpy() for k, v in gru.state_dict().items()}
    directions = ("_l0", "_l0_reverse")
    w = np.stack([_onnx_gates(state[f"weight_ih{d}"], hidden) for d in directions])
    r = np.stack([_onnx_gates(state[f"weight_hh{d}"], hidden) for d in directions])
    b = np.stack([np.concatenate([_onnx_gates(state[f"bias_ih{d}"], hidden),
                                  _onnx_gates(state[f"bias_hh{d}"], hidden)]) for d in directions])
    return w, r, b


def export_context_graph(network, path: Path) -> Path:
    """The GRU and the context head as an ONNX graph: inputs ``vectors`` (steps, windows, dim),
    ``speakers`` (steps, windows, 5) and ``lengths`` (windows,), output ``logits`` (steps,
    windows, labels).  ``linear_before_reset`` is PyTorch's formula for the new gate."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    gru, head = network.gru, network.context_head
    hidden = gru.hidden_size
    w, r, b = onnx_gru_weights(gru)
    dim = head.in_features - 2 * hidden
    labels = head.out_features
    initializers = [numpy_helper.from_array(a.astype(np.float32), name) for a, name in (
        (w, "gru_w"), (r, "gru_r"), (b, "gru_b"),
        (head.weight.detach().cpu().numpy().T, "head_weight"), (head.bias.detach().cpu().numpy(), "head_bias"))]
    initializers.append(numpy_helper.from_array(np.array([0, 0, 2 * hidden], dtype=np.int64), "state_shape"))
    nodes = [
        helper.make_node("Concat", ["vectors", "speakers"], ["gru_input"], axis=2),
        helper.make_node("GRU", ["gru_input", "gru_w", "gru_r", "gru_b", "lengths"], ["gru_states"],
                         hidden_size=hidden, direction="bidirectional", linear_before_reset=1),
        helper.make_node("Transpose", ["gru_states"], ["gru_states_t"], perm=[0, 2, 1, 3]),
        helper.make_node("Reshape", ["gru_states_t", "state_shape"], ["gru_both"]),
        helper.make_node("Concat", ["vectors", "gru_both"], ["head_input"], axis=2),
        helper.make_node("MatMul", ["head_input", "head_weight"], ["head_matmul"]),
        helper.make_node("Add", ["head_matmul", "head_bias"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes, "emoscope_dialogue_context",
        [helper.make_tensor_value_info("vectors", TensorProto.FLOAT, ["steps", "windows", dim]),
         helper.make_tensor_value_info("speakers", TensorProto.FLOAT, ["steps", "windows", SPEAKER_FEATURES]),
         helper.make_tensor_value_info("lengths", TensorProto.INT32, ["windows"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["steps", "windows", labels])],
        initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path
