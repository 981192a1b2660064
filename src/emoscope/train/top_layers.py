"""Fine-tuning the top layers of a large encoder on a few CPU cores (the accurate tier's encoder).

all-mpnet-base-v2 has 12 layers of width 768; in fp32 it reads about 25 short texts a second on 2
cores and trains at a third of that, hours an epoch of GoEmotions alone.  Two things
make it fit: the layers below ``first_trained`` are frozen, so each training text runs through
them once and their output (its hidden states, bfloat16) is cached on disk in chunks, and the
layers above run under bfloat16 autocast (the weights and the optimizer stay fp32), about three
times the fp32 speed on a CPU with AVX-512 BF16.  The run saves its state at the end of every
epoch (trained weights, optimizer, schedule, both random states) and a rerun with the same
arguments resumes there, so a run longer than a working session spans several.

Works for encoders whose layers take ``(hidden, attention_mask)`` (BERT) or ``(hidden,
attention_mask, position_bias)`` (MPNet, whose encoder computes the relative-position bias).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np

from .trainer import TrainingTask, pad, seed_everything, train_tasks

CHUNK = 4096  # texts per cache file


def tokenize_with_specials(tokenizer_path: Path, texts: Sequence[str], max_length: int) -> list[list[int]]:
    """Word-piece ids with the tokenizer's own special tokens (``<s>``/``</s>`` for MPNet),
    truncated to ``max_length``, unpadded."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length)
    return [e.ids for e in tokenizer.encode_batch(list(texts))]


def extended_mask(mask):
    """The additive attention mask the layers take: 0 on tokens, the dtype's minimum on padding."""
    import torch

    return (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min


class Layers:
    """The layers ``start`` to ``stop`` of ``encoder`` (a transformers base model) as one function
    of hidden states: ``run(hidden, mask)``; ``pooled`` mean-pools its output over tokens."""

    def __init__(self, encoder, start: int, stop: Optional[int] = None):
        self.encoder = encoder
        self.layers = encoder.encoder.layer[start:stop]

    def run(self, hidden, mask):
        # MPNet's layers take the relative-position bias its encoder computes once; BERT's do not
        bias = getattr(self.encoder.encoder, "compute_position_bias", None)
        extras = (bias(hidden),) if bias is not None else ()
        additive = extended_mask(mask).to(hidden.dtype)
        for layer in self.layers:
            out = layer(hidden, additive, *extras)
            hidden = out[0] if isinstance(out, tuple) else out
        return hidden

    def pooled(self, hidden, mask):
        from .modeling import mean_pool

        return mean_pool(self.run(hidden, mask).float(), mask)


TRAINING_FIELDS = ("epochs", "learning_rate", "batch_size", "max_length", "warmup_ratio", "weight_decay", "seed")


def run_key(base: Path, first: int, heads: dict, tasks: Sequence[TrainingTask], args) -> str:
    """Names a run's resume file: the base, the layers trained, the heads, the tasks' rows and the
    arguments that shape training (threads and the build's own arguments do not)."""
    digest = hashlib.sha256(json.dumps({"base": str(Path(base).resolve()), "first": first, "heads": heads,
                                        **{f: getattr(args, f) for f in TRAINING_FIELDS}}).encode())
    for task in tasks:
        digest.update(json.dumps([task.head, task.loss, task.weight, task.repeats, task.texts]).encode())
        for array in (task.targets, task.mask):
            digest.update(b"none" if array is None else np.ascontiguousarray(array, dtype=np.float32).tobytes())
    return digest.hexdigest()[:16]


def cache_key(base: Path, first: int, ids: Sequence[Sequence[int]]) -> str:
    digest = hashlib.sha256(json.dumps({"base": str(Path(base).resolve()), "first": first}).encode())
    for row in ids:
        digest.update(np.asarray(row, dtype=np.int32).tobytes() + b"|")
    return digest.hexdigest()[:16]


def lower_states(encoder, first: int, ids: Sequence[Sequence[int]], folder: Path, *, batch_size: int = 64,
                 progress: Callable[[str], None] = print) -> list:
    """Each text's hidden states entering layer ``first`` (a (tokens, width) bfloat16 tensor),
    computed under bfloat16 autocast in chunks of :data:`CHUNK` texts saved in ``folder``; chunks
    already there are read, not recomputed."""
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    lower, out = Layers(encoder, 0, first), []
    for begin in range(0, len(ids), CHUNK):
        path = folder / f"states-{begin // CHUNK:05d}.pt"
        if not path.is_file():
            chunk = ids[begin:begin + CHUNK]
            order = np.argsort([len(x) for x in chunk], kind="stable")
            states = [None] * len(chunk)
            with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
                for b in range(0, len(chunk), batch_size):
                    rows = order[b:b + batch_size]
                    input_ids, mask = pad([chunk[i] for i in rows])
                    hidden = lower.run(encoder.embeddings(input_ids=input_ids), mask)
                    for r, i in enumerate(rows):
                        states[i] = hidden[r, :len(chunk[i])].to(torch.bfloat16).clone()
            torch.save(states, str(path) + ".tmp")
            os.replace(str(path) + ".tmp", path)
            progress(f"cached the states of {min(begin + CHUNK, len(ids))}/{len(ids)} texts")
        out.extend(torch.load(path))
    return out


def pad_states(states: Sequence) -> tuple:
    import torch

    width = max(len(s) for s in states)
    hidden = torch.zeros((len(states), width, states[0].shape[1]), dtype=torch.bfloat16)
    mask = torch.zeros((len(states), width), dtype=torch.long)
    for row, s in enumerate(states):
        hidden[row, :len(s)] = s
        mask[row, :len(s)] = 1
    return hidden, mask


def fine_tune_top_layers(base: Path, tasks: Sequence[TrainingTask], heads: dict[str, int], first: int,
                         args, work: Path, *, progress: Callable[[str], None] = print,
                         epoch_end: Optional[Callable[[int, Callable], None]] = None):
    """Fine-tune the layers of ``base`` from ``first`` up and a linear head per entry of ``heads``
    (``{name: width}``) on ``tasks``; the lower layers' states are cached in ``work/states-<key>``
    and the run's state in ``work/resume-<key>.pt`` (:func:`run_key`; a rerun resumes).  ``epoch_end(epoch, score)``
    is called after each epoch with ``score(texts, head)`` giving the head's raw outputs.  Returns
    (encoder, heads as torch modules, info)."""
    import torch
    from transformers import AutoModel

    seed_everything(args.seed)
    if args.num_threads:
        torch.set_num_threads(args.num_threads)
    encoder = AutoModel.from_pretrained(str(base), attn_implementation="eager")
    encoder.eval()
    for parameter in encoder.parameters():
        parameter.requires_grad = False
    top = Layers(encoder, first)
    for parameter in top.layers.parameters():
        parameter.requires_grad = True
    width = encoder.config.hidden_size
    head_modules = torch.nn.ModuleDict({name: torch.nn.Linear(width, n) for name, n in heads.items()})
    trained = torch.nn.ModuleDict({"layers": top.layers, "heads": head_modules})
    dropout = torch.nn.Dropout(encoder.config.hidden_dropout_prob)
    tokenizer = Path(base) / "tokenizer.json"
    texts = list(dict.fromkeys(t for task in tasks for t in task.texts))
    ids = tokenize_with_specials(tokenizer, texts, args.max_length)
    states = lower_states(encoder, first, ids, Path(work) / f"states-{cache_key(base, first, ids)}", progress=progress)
    row_of = {t: i for i, t in enumerate(texts)}
    rows = [np.array([row_of[t] for t in task.texts]) for task in tasks]

    def pooled(t: int, batch) -> "torch.Tensor":
        hidden, mask = pad_states([states[i] for i in rows[t][batch]])
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return dropout(top.pooled(hidden, mask))

    def score(score_texts: Sequence[str], head: str) -> np.ndarray:
        """Raw outputs of ``head`` for any texts (the whole encoder, eval mode)."""
        from .modeling import mean_pool

        score_ids = tokenize_with_specials(tokenizer, score_texts, args.max_length)
        out, order = np.zeros((len(score_ids), heads[head]), dtype=np.float32), np.argsort([len(x) for x in score_ids])
        trained.eval()
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
            for b in range(0, len(order), 64):
                batch = order[b:b + 64]
                input_ids, mask = pad([score_ids[i] for i in batch])
                last = encoder(input_ids=input_ids, attention_mask=mask).last_hidden_state
                out[batch] = head_modules[head](mean_pool(last.float(), mask)).float().numpy()
        trained.train()
        return out

    run = train_tasks(trained, pooled, dict(head_modules), tasks, [[len(ids[i]) for i in r] for r in rows], args,
                      progress, torch.device("cpu"), resume=Path(work) / f"resume-{run_key(base, first, heads, tasks, args)}.pt",
                      epoch_end=None if epoch_end is None else (lambda epoch: epoch_end(epoch, score)))
    info = {"steps": run["steps"], "device": "cpu (bfloat16 autocast)", "base_model": str(base),
            "train_seconds": run["seconds"], "first_trained_layer": first, "epochs": run["epochs"]}
    return encoder, head_modules, info


def fine_tune_top_layers_or_reuse(checkpoint: Path, base: Path, tasks: Sequence[TrainingTask], heads: dict[str, int],
                                  first: int, args, work: Path, *, recipe: Optional[dict] = None,
                                  progress: Callable[[str], None] = print,
                                  epoch_end: Optional[Callable[[int, Callable], None]] = None):
    """:func:`fine_tune_top_layers`, saved to ``checkpoint`` as a
    :class:`~emoscope.train.modeling.MeanPooledEncoder` with the base's tokenizer files, or reloaded
    from there when a finished run with the same arguments, layers and ``recipe`` is there.
    Returns (model, info)."""
    from .modeling import MeanPooledEncoder
    from .trainer import finished_run, record_run, save_checkpoint

    checkpoint = Path(checkpoint)
    key = {"args": args.to_dict(), "recipe": {**(recipe or {}), "base": str(base), "first_trained_layer": first,
                                              "heads": heads}}
    info = finished_run(checkpoint, key)
    if info is not None:
        progress(f"reusing the finished fine-tuning in {checkpoint}")
        return MeanPooledEncoder.from_pretrained(checkpoint), info
    encoder, head_modules, info = fine_tune_top_layers(base, tasks, heads, first, args, work, progress=progress,
                                                       epoch_end=epoch_end)
    model = MeanPooledEncoder(encoder, head_modules).eval()
    save_checkpoint(model, checkpoint, Path(base))
    record_run(checkpoint, key, info)
    return model, info
