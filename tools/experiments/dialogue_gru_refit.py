"""An ensemble of GRUs refitted on a dialogue model's frozen encoder (docs/training.md, "An ensemble
of GRUs refitted on the frozen encoder").

    python tools/experiments/dialogue_gru_refit.py --data ../shared/datasets/meld --work runs/gru-refit \
        --threads 2 [--test]

The seed alone moves the dialogue model's dev and test weighted-F1 by about 0.01.  Averaging
several GRUs damps that at little cost, because K bidirectional GRUs merge exactly into one ONNX
GRU of K times the units (block-diagonal recurrent weights, the head averaging the members'
logits): ``context.onnx`` keeps its inputs and outputs and the runtime is unchanged.  The rule,
fixed before any score:

1. the model's int8 encoder reads MELD train turns (the vectors the runtime feeds the GRU);
2. ``--members`` GRUs (seeds 0, 1, ...) learn on them as the recipe's GRU does (whole dialogues,
   batches of at least 32 turns, class weights to the power 0.5, 128 units a direction, AdamW at
   1e-3, ``--epochs`` epochs, dropout 0.1 on the vectors);
3. candidates (a) the refitted GRUs, (b) those and the model's own GRU, each with the recipe's dev
   choice of window and TF-IDF blend weight; the better dev replaces ``context.onnx`` only if it
   beats the model's own dev weighted-F1 by 0.005 (ties: (a));
4. ``--test`` reports test with everything chosen on dev (it decides nothing).
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np

from emoscope.data.meld import MELD_LABELS, labelled_dialogues, read_meld
from emoscope.evaluate import evaluate_context_model
from emoscope.persistence import CONTEXT_GRAPH_FILE, resolve_model_dir
from emoscope.text.context import SPEAKER_FEATURES, ContextEmotionModel, speaker_features, turn_text
from emoscope.train.arguments import MeldArguments
from emoscope.train.dialogue import class_weights, onnx_gru_weights
from emoscope.train.meld import _dev_scores

HIDDEN = 128


def refit_gru(vectors: np.ndarray, dialogues, seed: int, epochs: int):
    """One bi-GRU and context head on frozen turn vectors, trained as the recipe trains its GRU."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    bounds = np.cumsum([0] + [len(g) for _, _, g in dialogues])
    who = [torch.from_numpy(speaker_features(list(s))) for s, _, _ in dialogues]
    gold = np.concatenate([g for _, _, g in dialogues])
    gru = nn.GRU(vectors.shape[1] + SPEAKER_FEATURES, HIDDEN, bidirectional=True)
    head = nn.Linear(vectors.shape[1] + 2 * HIDDEN, len(MELD_LABELS))
    parameters = list(gru.parameters()) + list(head.parameters())
    optimizer = torch.optim.AdamW(parameters, lr=1e-3, weight_decay=0.0)
    loss_fn = nn.CrossEntropyLoss(weight=torch.from_numpy(class_weights(gold, len(MELD_LABELS), 0.5)))
    all_vectors, targets = torch.from_numpy(vectors), torch.from_numpy(gold.astype(np.int64))
    for _ in range(epochs):
        batches, batch, turns = [], [], 0
        for d in rng.permutation(len(dialogues)):
            batch.append(int(d))
            turns += bounds[d + 1] - bounds[d]
            if turns >= 32:
                batches.append(batch)
                batch, turns = [], 0
        for batch in batches + ([batch] if batch else []):
            lengths = [int(bounds[d + 1] - bounds[d]) for d in batch]
            x = torch.zeros(max(lengths), len(batch), vectors.shape[1])
            speakers = torch.zeros(max(lengths), len(batch), SPEAKER_FEATURES)
            gold_steps = torch.full((max(lengths), len(batch)), -100, dtype=torch.long)
            for w, d in enumerate(batch):
                rows = slice(bounds[d], bounds[d + 1])
                x[:lengths[w], w], speakers[:lengths[w], w] = all_vectors[rows], who[d]
                gold_steps[:lengths[w], w] = targets[rows]
            x = nn.functional.dropout(x, 0.1, training=True)
            packed = nn.utils.rnn.pack_padded_sequence(torch.cat([x, speakers], -1), torch.as_tensor(lengths),
                                                       enforce_sorted=False)
            states, _ = nn.utils.rnn.pad_packed_sequence(gru(packed)[0], total_length=x.shape[0])
            logits = head(torch.cat([x, states], -1))
            present = gold_steps >= 0
            loss = loss_fn(logits[present], gold_steps[present])
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(parameters, 1.0)
            optimizer.step()
    return (*onnx_gru_weights(gru), head.weight.detach().numpy().T, head.bias.detach().numpy())


def graph_member(path: Path):
    """(W, R, B, head weight, head bias) of a context graph written by ``train meld``."""
    import onnx
    from onnx import numpy_helper

    arrays = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(path)).graph.initializer}
    return tuple(arrays[n] for n in ("gru_w", "gru_r", "gru_b", "head_weight", "head_bias"))


def merge_members(members, template: Path, out: Path) -> Path:
    """K GRUs of h units as one of K*h (each gate's rows member by member, the recurrent matrix
    block-diagonal, so the members stay independent); the head averages the members' logits."""
    import onnx
    from onnx import numpy_helper

    k, h = len(members), members[0][1].shape[2]
    units, inputs = k * h, members[0][0].shape[2]
    dim, labels = members[0][3].shape[0] - 2 * h, members[0][4].shape[0]
    w, r = np.zeros((2, 3 * units, inputs), np.float32), np.zeros((2, 3 * units, units), np.float32)
    b = np.zeros((2, 6 * units), np.float32)
    head_w, head_b = np.zeros((dim + 2 * units, labels), np.float32), np.zeros(labels, np.float32)
    for m, (mw, mr, mb, mhw, mhb) in enumerate(members):
        own = slice(m * h, (m + 1) * h)
        for gate in range(3):
            rows, src = slice(gate * units + m * h, gate * units + (m + 1) * h), slice(gate * h, (gate + 1) * h)
            w[:, rows], r[:, rows, own], b[:, rows] = mw[:, src], mr[:, src], mb[:, src]
            b[:, 3 * units + rows.start:3 * units + rows.stop] = mb[:, 3 * h + src.start:3 * h + src.stop]
        head_w[:dim] += mhw[:dim] / k
        head_w[dim + m * h:dim + (m + 1) * h] += mhw[dim:dim + h] / k  # forward states
        head_w[dim + units + m * h:dim + units + (m + 1) * h] += mhw[dim + h:] / k  # backward states
        head_b += mhb / k
    model = onnx.load(str(template))
    new = {"gru_w": w, "gru_r": r, "gru_b": b, "head_weight": head_w, "head_bias": head_b,
           "state_shape": np.array([0, 0, 2 * units], np.int64)}
    for initializer in model.graph.initializer:
        if initializer.name in new:
            initializer.CopyFrom(numpy_helper.from_array(new[initializer.name], initializer.name))
    for node in model.graph.node:
        for attribute in node.attribute if node.op_type == "GRU" else ():
            if attribute.name == "hidden_size":
                attribute.i = units
    onnx.checker.check_model(model)
    onnx.save(model, str(out))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="MELD folder")
    parser.add_argument("--model", default="meld-context-minilm")
    parser.add_argument("--work", type=Path, default=Path("runs/gru-refit"))
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--test", action="store_true", help="report test (chosen on dev; decides nothing)")
    args = parser.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    source = resolve_model_dir(args.model, "meld-context-minilm")
    model = ContextEmotionModel.load(source, num_threads=args.threads)
    train, dev = (labelled_dialogues(read_meld(args.data, s)) for s in ("train", "dev"))
    turns = [turn_text(t) for _, texts, _ in train for t in texts]
    vectors = model.model.encoder.run(turns, extra_outputs=["embedding"]).extra["embedding"]
    refits = [refit_gru(vectors, train, seed, args.epochs) for seed in range(args.members)]
    own = graph_member(source / CONTEXT_GRAPH_FILE)
    grid = MeldArguments()
    results = {}
    for name, members in (("own GRU", [own]), ("a: refitted", refits), ("b: refitted + own", refits + [own])):
        folder = args.work / name.split(":")[0].replace(" ", "-")
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(source, folder)
        merge_members(members, source / CONTEXT_GRAPH_FILE, folder / CONTEXT_GRAPH_FILE)
        scores = _dev_scores(ContextEmotionModel.load(folder, num_threads=args.threads), dev,
                             list(grid.context_turns_grid), grid.encoder_weight_grid)
        (k, weight) = max(scores, key=lambda kw: (round(scores[kw], 6), -kw[0], kw[1]))
        config = json.loads((folder / "config.json").read_text())
        (folder / "config.json").write_text(json.dumps({**config, "context_turns": k, "encoder_weight": weight},
                                                       indent=2))
        results[name] = {"dev_weighted_f1": round(scores[k, weight], 4), "context_turns": k, "encoder_weight": weight}
        if args.test:
            test = evaluate_context_model(ContextEmotionModel.load(folder, num_threads=args.threads),
                                          read_meld(args.data, "test")).to_dict()
            results[name].update(test_weighted_f1=round(test["weighted_f1"], 4),
                                 test_turn_alone=round(test["weighted_f1_no_context"], 4))
        print(name, results[name], flush=True)
    (args.work / "results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
