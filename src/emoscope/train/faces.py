"""``emoscope train faces``: the shipped facial-expression model's recipe.

A compact VGG-style network (four stages of 3×3 convolutions with batch norm, 48×48 greyscale in)
is trained from scratch on FER+ train with the annotators' votes over the eight emotions as soft
targets, and random flips, rotations, scalings and shifts.  The epoch kept is the one with the
best majority-vote accuracy on FER+ valid; test is scored once, for the card.  Each image is
standardised (its own mean and standard deviation) inside the network, so lighting and contrast
of a detector's crop matter less than they would with fixed scaling.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..card import CardSection, CardTable, ModelCard
from ..data.faces import FACE_LABELS, FERPLUS_LICENCE, FaceSplit, read_ferplus
from ..evaluate import describe
from ..evaluate.faces import evaluate_face_model, ferplus_payload
from ..faces.model import FaceEmotionModel
from ..persistence import ModelConfig, Task, write_model
from .arguments import FaceArguments

MODEL_NAME = "face-ferplus"
SIDE = 48
PIXELS = "pixels"
PROBABILITIES = "probabilities"


def build_network(widths: Sequence[int] = (16, 32, 96, 192), dropout: float = 0.3):
    """The network: pixels (n, 1, 48, 48) in [0, 1] -> logits (n, 8)."""
    from torch import nn

    def conv(i: int, o: int) -> list:
        return [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True)]

    a, b, c, d = widths
    layers = [*conv(1, a), *conv(a, a), nn.MaxPool2d(2),
              *conv(a, b), *conv(b, b), nn.MaxPool2d(2),
              *conv(b, c), *conv(c, c), nn.MaxPool2d(2),
              *conv(c, d), *conv(d, d), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
              nn.Dropout(dropout), nn.Linear(d, len(FACE_LABELS))]

    class FaceNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(*layers)

        def forward(self, pixels):
            # per-image standardisation: a crop's exposure and contrast say nothing about its emotion
            mean = pixels.mean(dim=(1, 2, 3), keepdim=True)
            std = pixels.std(dim=(1, 2, 3), keepdim=True)
            return self.body((pixels - mean) / (std + 1e-3))

    return FaceNetwork()


def augment(batch, generator, max_degrees: float = 12.0, max_shift: float = 0.1, scale=(0.9, 1.1)):
    """Random horizontal flip, rotation, scaling and shift of a batch (n, 1, 48, 48), borders
    filled by their nearest pixel."""
    import torch
    import torch.nn.functional as F

    n = batch.shape[0]
    angle = (torch.rand(n, generator=generator) * 2 - 1) * math.radians(max_degrees)
    zoom = scale[0] + torch.rand(n, generator=generator) * (scale[1] - scale[0])
    flip = torch.where(torch.rand(n, generator=generator) < 0.5, -1.0, 1.0)
    shift = (torch.rand(n, 2, generator=generator) * 2 - 1) * max_shift * 2
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.stack([torch.stack([cos * flip, -sin, shift[:, 0]], 1),
                         torch.stack([sin * flip, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(batch.shape), align_corners=False)
    return F.grid_sample(batch, grid, mode="bilinear", padding_mode="border", align_corners=False)


def soft_targets(split: FaceSplit) -> np.ndarray:
    """Each image's votes over the eight emotions, normalised to sum to one."""
    votes = split.votes[:, :len(FACE_LABELS)].astype(np.float32)
    return votes / np.maximum(votes.sum(axis=1, keepdims=True), 1.0)


def predict_logits(network, images: np.ndarray, flip: bool, batch_size: int = 512) -> np.ndarray:
    """Logits of uint8 images (n, 48, 48); with ``flip``, the mean with the mirrored image's."""
    import torch

    network.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            x = torch.from_numpy(images[start:start + batch_size]).float().div_(255).unsqueeze(1)
            x = x.contiguous(memory_format=torch.channels_last)
            logits = network(x)
            if flip:
                logits = (logits + network(torch.flip(x, dims=[3]))) / 2
            out.append(logits.numpy())
    return np.concatenate(out) if out else np.zeros((0, len(FACE_LABELS)), np.float32)


def majority_accuracy(logits: np.ndarray, split: FaceSplit) -> float:
    return float((logits.argmax(axis=1) == split.majority).mean())


def train_network(data: Path, out: Path, args: FaceArguments = FaceArguments(),
                  log: Callable[[str], None] = print) -> dict:
    """Train on FER+ train, keep the epoch with the best valid majority-vote accuracy (with the
    mirrored image averaged in) and save its weights to ``out/network.pt``; returns the history."""
    import torch

    if args.num_threads:
        torch.set_num_threads(args.num_threads)
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    epochs, batch_size, widths = args.epochs, args.batch_size, tuple(args.widths)
    train, valid = read_ferplus(data, "train"), read_ferplus(data, "valid")
    if args.max_train_images:
        train = train.head(args.max_train_images)
    images = torch.from_numpy(train.images).float().div_(255).unsqueeze(1)
    targets = torch.from_numpy(soft_targets(train))
    network = build_network(widths).to(memory_format=torch.channels_last)  # about 1.2x faster on CPU
    optimiser = torch.optim.SGD(network.parameters(), lr=args.learning_rate, momentum=0.9, nesterov=True,
                                weight_decay=args.weight_decay)
    steps = epochs * math.ceil(len(images) / batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=args.learning_rate, total_steps=steps,
                                                   pct_start=0.15)
    out.mkdir(parents=True, exist_ok=True)
    history, best, first = [], -1.0, 1
    checkpoint = out / "checkpoint.pt"
    settings = {k: v for k, v in args.to_dict().items() if k not in ("num_threads", "flip", "flip_tolerance")}
    if checkpoint.is_file():  # an interrupted run with the same settings goes on from its last epoch
        state = torch.load(checkpoint, weights_only=False)
        if state["settings"] == settings:
            network.load_state_dict(state["network"])
            optimiser.load_state_dict(state["optimiser"])
            schedule.load_state_dict(state["schedule"])
            generator.set_state(state["generator"])
            torch.set_rng_state(state["torch_rng"])
            history, best, first = state["history"], state["best"], state["epoch"] + 1
            log(f"resuming after epoch {state['epoch']} (best valid accuracy {best:.4f})")
    for epoch in range(first, epochs + 1):
        started = time.perf_counter()
        network.train()
        order = torch.randperm(len(images), generator=generator)
        total = 0.0
        for start in range(0, len(order), batch_size):
            index = order[start:start + batch_size]
            x = augment(images[index], generator).contiguous(memory_format=torch.channels_last)
            loss = torch.sum(-targets[index] * torch.log_softmax(network(x), dim=1), dim=1).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += float(loss.detach()) * len(index)
        accuracy = majority_accuracy(predict_logits(network, valid.images, flip=True), valid)
        history.append({"epoch": epoch, "loss": round(total / len(images), 5), "valid_accuracy": round(accuracy, 5),
                        "seconds": round(time.perf_counter() - started, 1)})
        log(f"epoch {epoch}/{epochs}: loss {total / len(images):.4f}, valid accuracy {accuracy:.4f} "
            f"({time.perf_counter() - started:.0f} s)")
        if accuracy > best:
            best = accuracy
            torch.save(network.state_dict(), out / "network.pt")
        torch.save({"settings": settings, "epoch": epoch, "network": network.state_dict(),
                    "optimiser": optimiser.state_dict(), "schedule": schedule.state_dict(),
                    "generator": generator.get_state(), "torch_rng": torch.get_rng_state(),
                    "history": history, "best": best}, out / "checkpoint.tmp")
        (out / "checkpoint.tmp").replace(checkpoint)  # a kill mid-write leaves the last whole checkpoint
    return {"widths": list(widths), "epochs": history, "best_valid_accuracy": best, "training_images": len(images)}


def export_network(weights: Path, target: Path, widths: Sequence[int], flip: bool) -> Path:
    """The trained network as an ONNX graph: ``pixels`` (n, 1, 48, 48) in [0, 1] ->
    ``probabilities`` (n, 8); with ``flip``, the mean of the face's and its mirror image's logits."""
    import warnings

    import torch

    network = build_network(widths)
    network.load_state_dict(torch.load(weights, weights_only=True))
    network.eval()

    class Exported(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.network = network

        def forward(self, pixels):
            logits = self.network(pixels)
            if flip:
                logits = (logits + self.network(torch.flip(pixels, dims=[3]))) / 2
            return torch.softmax(logits, dim=1)

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on shapes it fixes (none depends on input)
        torch.onnx.export(Exported().eval(), (torch.zeros(2, 1, SIDE, SIDE),), str(target),
                          input_names=[PIXELS], output_names=[PROBABILITIES],
                          dynamic_axes={PIXELS: {0: "faces"}, PROBABILITIES: {0: "faces"}}, opset_version=17,
                          dynamo=False, do_constant_folding=True)
    return target


def train_faces(data: Path, out: Path, args: FaceArguments = FaceArguments(), *,
                log: Callable[[str], None] = print, command: str = "") -> ModelCard:
    """Train the face model on FER+ train into ``out`` (resuming an interrupted run found in
    ``out/_work``), choose the epoch and mirroring on valid, score test once and write the card."""
    import shutil

    started = time.time()
    out = Path(out)
    work = out / "_work"
    history = train_network(data, work, args, log)
    valid = read_ferplus(data, "valid")
    candidates = (args.flip,) if args.flip is not None else (False, True)
    config = ModelConfig(task=Task.IMAGE_CLASSIFICATION, name=MODEL_NAME, quantized=False, image_size=SIDE)
    accuracy = {}
    for flip in candidates:
        graph = export_network(work / "network.pt", work / f"model_flip{int(flip)}.onnx", args.widths, flip)
        write_model(work / f"flip{int(flip)}", config, FACE_LABELS, graph=graph)
        model = FaceEmotionModel.load(work / f"flip{int(flip)}", num_threads=args.num_threads)
        accuracy[flip] = evaluate_face_model(model, valid)["accuracy"]
    flip = max(accuracy, key=lambda f: accuracy[f] - (args.flip_tolerance if f else 0.0))
    best_epoch = max(history["epochs"], key=lambda e: e["valid_accuracy"])
    card = ModelCard(
        name=MODEL_NAME, task="the facial expression of a face crop (FER+'s eight emotions)",
        base_model=None,
        architecture=(f"a VGG-style CNN trained from scratch: four stages of two 3x3 convolutions with batch "
                      f"norm ({', '.join(str(w) for w in args.widths)} channels), max pooling between "
                      f"stages, global average pooling, dropout, a linear layer; each crop standardised by "
                      f"its own mean and deviation" + ("; the mirrored face's logits averaged in" if flip else "")
                      + "; fp32 ONNX"),
        labels=list(FACE_LABELS),
        facts={"Input": f"greyscale face crops resized to {SIDE}x{SIDE} (emoscope.faces.detect cuts them "
                        f"from photos and frames)",
               "Licence of the data": "research only: " + FERPLUS_LICENCE},
        data={"training images": history["training_images"], "protocol": "FER+ majority vote; votes as soft targets in training",
              "licences": {"ferplus": FERPLUS_LICENCE}},
        training={"command": command, "seed": args.seed, "arguments": args.to_dict(),
                  "chosen": {"epoch": best_epoch["epoch"], "flip": flip},
                  "resumable": "yes: an interrupted run goes on from its last epoch (out/_work/checkpoint.pt)"},
    )
    card.set_section(CardSection(
        "Choices (FER+ valid only)",
        [f"Epoch {best_epoch['epoch']} of {args.epochs} (best valid majority-vote accuracy, mirror averaged in); "
         f"mirroring in the graph: {'on' if flip else 'off'} (valid accuracy "
         + ", ".join(f"{'on' if f else 'off'} {a:.4f}" for f, a in accuracy.items())
         + f"; on is kept only when {args.flip_tolerance} better, as it doubles the compute)."],
        [CardTable(["epoch", "training loss", "valid accuracy", "seconds"],
                   [[e["epoch"], e["loss"], e["valid_accuracy"], e["seconds"]] for e in history["epochs"]])]))
    write_model(out, config, FACE_LABELS, graph=work / f"model_flip{int(flip)}.onnx", card=card)
    model = FaceEmotionModel.load(out, num_threads=args.num_threads)
    for split in ("valid", "test"):  # what emoscope evaluate --dataset ferplus prints
        payload = ferplus_payload(model, data, "dev" if split == "valid" else split)
        card.add_metrics(payload, describe(payload))
    # a resumed run's own time is only its end: the epochs' times are the training's
    card.training["seconds_epochs"] = round(sum(e["seconds"] for e in history["epochs"]), 1)
    card.training["seconds_this_run"] = round(time.time() - started, 1)
    card.save(out)
    shutil.rmtree(work, ignore_errors=True)
    return card
