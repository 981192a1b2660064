"""The accurate tier (``emoscope train accurate``; ``EmotionModel.load("accurate")``).

The shipped tier is built by :mod:`.accurate_heads` (``--labels-model``: the default model's labels,
the heads on a second, larger graph).  This module holds the two one-graph recipes, which have not
reached it (docs/training.md): with ``--first-trained-layer`` the encoder's top layers fine-tuned
(:func:`train_accurate_tuned`), and without, all-mpnet-base-v2 (12 layers, hidden 768) read
frozen: its graph (4-bit weight matrices, int8 word embeddings, fp32 activations, so a text's
scores do not depend on its batch) outputs every hidden state mean-pooled (9,984 features), and a
small network on those features is trained on every English source at once: a shared hidden layer
(ReLU), then the 28 GoEmotions labels, the six basic emotions (SemEval 2025 English, MELD; the
Ekman rollup reports them), valence-arousal-dominance (EmoBank) and intensity (track B).

The features of every text are cached in chunks in the work folder (``--work``), keyed by the
graph, so a run that stops resumes where it stopped.  Choices are made on dev data as in the multi-domain
recipe (:mod:`.fast`): the TF-IDF blend, thresholds and calibration on GoEmotions dev, the basic
thresholds on held-out SemEval English and MELD dev.  The model is written where the model
package ``models/emoscope-accurate`` keeps it, so ``pip install ./models/emoscope-accurate``
installs it and ``EmotionModel.load("accurate")`` finds it.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from ..card import CardSection, ModelCard
from ..data import emobank as emobank_data
from ..data import semeval
from ..evaluate import EvaluationOptions, describe, evaluate_dataset, goemotions_payload
from ..persistence import ModelConfig, Task, read_model, write_config
from ..text.encoder import OnnxTextEncoder
from ..text.model import EmotionModel
from .arguments import AccurateArguments, FastArguments, TunedAccurateArguments
from .base_models import resolve_base_model
from .builder import choose_graph, save_choice, training_record
from .calibrate import calibrate_on_dev, calibration_section
from .export import LAYERS_OUTPUT
from .fast import (BASIC, MultiDomainData, basic_head, choose_basic_thresholds, label_and_basic_tasks,
                   read_multidomain, train_fast_on_model)
from .features import cached_features, file_digest
from .frozen import export_frozen_encoder
from .goemotions import build_goemotions_model, labels_task, read_goemotions_splits
from .graph import add_mlp_heads, drop_output
from .heads import INTENSITY_HEAD, VAD_HEAD
from .lexical import fit_lexical_head
from .top_layers import fine_tune_top_layers_or_reuse
from .trainer import CHECKPOINT, TrainingTask, seed_everything, train_tasks

TIER_NAME = "emoscope-accurate"
HEADS = {"labels": 28, "basic": len(BASIC), "vad": 3, "intensity": 5}


def _tasks(data: MultiDomainData, vad, intensity, repeats: int) -> list[TrainingTask]:
    return [*label_and_basic_tasks(data, repeats),
            TrainingTask("vad", vad.texts, vad.targets.astype(np.float32), "mse"),
            TrainingTask("intensity", intensity.texts, intensity.targets.astype(np.float32), "mse")]


class _Network:
    """The shared hidden layer and the heads, in torch, on standardised features."""

    def __init__(self, width: int, args: AccurateArguments):
        import torch
        from torch import nn

        seed_everything(args.seed)
        self.trunk = nn.Sequential(nn.Linear(width, args.hidden_size), nn.ReLU(), nn.Dropout(args.dropout))
        self.heads = nn.ModuleDict({name: nn.Linear(args.hidden_size, n) for name, n in HEADS.items()})
        self.module = nn.ModuleDict({"trunk": self.trunk, "heads": self.heads})
        self.torch = torch


def train_network(features: np.ndarray, rows: dict[str, int], tasks: list[TrainingTask], args: AccurateArguments,
                  progress: Callable[[str], None]):
    """Fit the network; returns (trunk weight, trunk bias, {head: (weight, bias)}) on raw features,
    the standardisation (and each regression target's) folded in, and the training info."""
    import torch

    if args.num_threads:
        torch.set_num_threads(args.num_threads)
    train_rows = sorted({rows[t] for task in tasks for t in task.texts})
    x = features[train_rows].astype(np.float32)
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
    del x
    standardised = torch.tensor(((features.astype(np.float32) - mean) / std), dtype=torch.float32)
    scales = {}
    for task in tasks:
        if task.loss == "mse":
            scales[task.head] = task.targets.mean(axis=0), task.targets.std(axis=0)
            task.targets = (task.targets - scales[task.head][0]) / scales[task.head][1]
    index = [torch.tensor([rows[t] for t in task.texts]) for task in tasks]
    network = _Network(features.shape[1], args)

    def pooled(t: int, batch) -> "torch.Tensor":
        return network.trunk(standardised[index[t][batch]])

    run = train_tasks(network.module, pooled, network.heads, tasks, [[1] * len(task.texts) for task in tasks],
                      args, progress, torch.device("cpu"))
    first = network.trunk[0]
    weight = first.weight.detach().numpy().T / std[:, None]  # raw features in, as the graph gives them
    bias = first.bias.detach().numpy() - mean @ weight
    heads = {}
    for name, layer in network.heads.items():
        w, b = layer.weight.detach().numpy().T.copy(), layer.bias.detach().numpy().copy()
        if name in scales:  # standardised targets -> their own scale
            target_mean, target_std = scales[name]
            w, b = w * target_std[None, :], b * target_std + target_mean
        heads["logits" if name == "labels" else name] = (w, b)
    return weight, bias, heads, run


def frozen_encoder(args: AccurateArguments, work: Path, max_tokens: int, stride: int,
                   progress: Callable[[str], None]) -> tuple[OnnxTextEncoder, str]:
    """(encoder, its description) of ``args.base_model`` read frozen, every layer mean-pooled (4-bit
    weights), its graph exported once into ``work/encoder.onnx``."""
    base, base_source = resolve_base_model(args.base_model)
    graph_path = work / "encoder.onnx"
    if not graph_path.is_file():
        progress(f"exporting the encoder {base_source} (all layers mean-pooled, 4-bit weights)")
        export_frozen_encoder(base, graph_path)
    return OnnxTextEncoder(graph_path, base / "tokenizer.json", max_tokens=max_tokens, stride=stride,
                           batch_size=args.inference_batch_size, num_threads=args.num_threads), base_source


def train_accurate(goemotions_dir: Path, track_a: Path, track_b: Path, emobank: Path, meld_dir: Path, out_dir: Path,
                   args: AccurateArguments, *, work: Path = Path("runs/emoscope-accurate-work"),
                   progress: Callable[[str], None] = print, command: Optional[str] = None) -> ModelCard:
    import onnx

    started = time.perf_counter()
    out_dir, work = Path(out_dir), Path(work)
    work.mkdir(parents=True, exist_ok=True)
    data = read_multidomain(goemotions_dir, track_a, meld_dir, args)
    held_out = set(data.semeval_holdout.texts)
    vad = emobank_data.read_emobank(emobank)["train"].head(args.max_train_samples)
    intensity = semeval.read_intensity(track_b)["train"]
    intensity = intensity.subset([t not in held_out for t in intensity.texts]).head(args.max_train_samples)
    tasks = _tasks(data, vad, intensity, args.semeval_repeats)

    encoder, base_source = frozen_encoder(args, work, args.max_tokens, args.stride, progress)
    graph_path, tokenizer = encoder.model_path, encoder.tokenizer_path
    texts = [t for task in tasks for t in task.texts]
    rows, features = cached_features(encoder, texts, work / "features" / file_digest(graph_path), progress)
    progress(f"training the heads on {features.shape[1]} features of {len(rows)} texts")
    hidden_weight, hidden_bias, heads, run = train_network(features, rows, tasks, args, progress)
    del features
    graph = drop_output(add_mlp_heads(onnx.load(str(graph_path)), hidden_weight, hidden_bias, heads), LAYERS_OUTPUT)
    onnx.save(graph, str(work / "model.onnx"))

    train, dev, test = data.goemotions
    progress("fitting the TF-IDF logistic-regression head")
    lexical = fit_lexical_head(train.texts, train.targets, args)
    basic = basic_head((0.5,) * len(BASIC))
    config = ModelConfig(task=Task.MULTI_LABEL, name="emoscope-accurate", batch_size=args.inference_batch_size,
                         max_tokens=args.max_tokens, stride=args.stride, base_model=base_source.split(" (")[0],
                         heads={"basic": basic, "vad": VAD_HEAD, "intensity": INTENSITY_HEAD})
    choice = choose_graph(work / "candidates", {"4-bit": work / "model.onnx"}, config=config, labels=train.labels,
                          tokenizer=tokenizer, lexical=lexical, dev_texts=dev.texts, dev_targets=dev.targets,
                          args=args, progress=progress)
    save_choice(out_dir, choice, config=config, labels=train.labels, tokenizer=tokenizer, lexical=lexical)
    progress("calibrating on GoEmotions dev; basic-emotion thresholds on held-out SemEval and MELD dev")
    calibration = calibrate_on_dev(out_dir, dev, num_threads=args.num_threads)
    files = read_model(out_dir)
    files.config.heads["basic"] = choose_basic_thresholds(out_dir, data, args.num_threads)
    write_config(out_dir, files.config)
    card = _card(out_dir, data, choice, calibration, run, args, command, started, base_source,
                 {"track_a": track_a, "track_b": track_b, "emobank": emobank, "meld": meld_dir})
    shutil.rmtree(work / "candidates", ignore_errors=True)
    progress(f"done in {time.perf_counter() - started:.0f}s; model in {out_dir}")
    return card


def _card(out_dir: Path, data: MultiDomainData, choice, calibration: dict, run: dict, args: AccurateArguments,
          command: Optional[str], started: float, base_source: str, paths: dict) -> ModelCard:
    final = EmotionModel.load(out_dir, num_threads=args.num_threads)
    train, dev, test = data.goemotions
    test_payload, dev_payload = goemotions_payload(final, test, "test"), goemotions_payload(final, dev, "dev")
    calibration.update({"test_ece_before": test_payload["ece_uncalibrated"], "test_ece_after": test_payload["ece"],
                        "command": command or ""})
    basic = final.heads["basic"]
    size = sum(f.stat().st_size for f in out_dir.iterdir() if f.is_file()) / 1e6
    card = ModelCard(
        name="emoscope-accurate",
        task="multi-domain emotion recognition, accurate tier: the 28 GoEmotions labels, the six basic emotions "
             "(the Ekman rollup), valence-arousal-dominance and intensity, from one pass of a larger encoder",
        base_model=base_source,
        architecture=f"frozen 12-layer encoder, every hidden state mean-pooled (9,984 features); a shared hidden "
                     f"layer of {args.hidden_size} (ReLU) and heads for the 28 GoEmotions labels (blended with a "
                     f"TF-IDF head), six basic emotions, VAD and intensity, trained on all of them at once (ONNX)",
        labels=train.labels,
        facts={"Graph": "word embeddings int8, weight matrices 4-bit in blocks of 32 (MatMulNBits), activations "
                        "and heads fp32: no activation quantization, so a text's scores do not depend on its batch",
               "Encoder weight in the blend": str(choice.encoder_weight),
               "Ekman rollup": "reported by the basic-emotion head: each emotion at or above its threshold "
                               f"({dict(zip(basic.targets, basic.thresholds))}, chosen on a held-out tenth of "
                               "SemEval English train and MELD dev), neutral when none is",
               "Dev (where thresholds and calibration were fitted)":
                   f"GoEmotions macro-F1 {dev_payload['macro_f1']:.4f}, micro-F1 {dev_payload['micro_f1']:.4f}",
               "Inference": f"batches of {args.inference_batch_size} texts",
               "Size": f"{size:.1f} MB",
               "Training": "one session on 2 CPU cores; the encoded features are cached in chunks in the work "
                           "folder, so a stopped run resumes where it stopped"},
        data=data.card_data(),
        training=training_record(args, command, started, device="cpu", heads_seconds=run["seconds"]),
        extra={"calibration": calibration})
    card.add_metrics(test_payload, describe(test_payload))
    options = EvaluationOptions(num_threads=args.num_threads, languages=("eng",))
    for dataset, path, split in (("semeval-a", paths["track_a"], "dev"), ("emobank", paths["emobank"], "test"),
                                 ("intensity", paths["track_b"], "dev"), ("meld", paths["meld"], "test")):
        payload = evaluate_dataset(dataset, path, split=split, model=str(out_dir), options=options)
        card.add_metrics(payload, describe(payload))
    card.set_section(calibration_section(calibration))
    card.set_section(CardSection("Choices", [
        "- GoEmotions: TF-IDF blend weight and thresholds on GoEmotions dev; Platt calibration on GoEmotions dev.",
        "- Basic emotions: thresholds on the held-out tenth of SemEval English train and MELD dev.",
        f"- Network: {args.epochs} epochs, hidden layer {args.hidden_size}, fixed before training.",
        "- Reported only: GoEmotions test, SemEval English dev, MELD test, EmoBank test, track B dev."]))
    card.save(out_dir)
    return card


def train_accurate_tuned(goemotions_dir: Path, track_a: Path, track_b: Path, emobank: Path, meld_dir: Path,
                         out_dir: Path, args: TunedAccurateArguments, *, work: Path = Path("runs/emoscope-accurate-work"),
                         progress: Callable[[str], None] = print, command: Optional[str] = None) -> ModelCard:
    """The accurate tier with its encoder fine-tuned: the layers of all-mpnet-base-v2 from
    ``args.first_trained_layer`` up learn the GoEmotions labels (:mod:`.top_layers`; the run's state
    is kept in ``work`` after every epoch, so it spans sessions), the model is built as ``train
    goemotions`` builds one (TF-IDF blend, int8, thresholds and calibration on dev), then as ``train
    fast --on-model`` builds the default model on it (static int8; the basic-emotion, VAD and
    intensity heads on every layer)."""
    started = time.perf_counter()
    out_dir, work = Path(out_dir), Path(work)
    work.mkdir(parents=True, exist_ok=True)
    base, _ = resolve_base_model(args.base_model)
    splits = read_goemotions_splits(goemotions_dir, args)
    train = splits[0]
    task = labels_task(train, args.positive_weight_power, args.positive_weight_max)
    model, info = fine_tune_top_layers_or_reuse(work / CHECKPOINT, base, [task], {"labels": len(train.labels)},
                                                args.first_trained_layer, args, work,
                                                recipe={"recipe": "accurate", "train_texts": len(train)},
                                                progress=progress)
    source = work / "goemotions-model"
    build_goemotions_model(model, work / CHECKPOINT, info, goemotions_dir, splits, source, args, progress=progress,
                           command=command, base=args.base_model or str(base))
    fast = FastArguments(seed=args.seed, num_threads=args.num_threads, max_train_samples=args.max_train_samples,
                         max_eval_samples=args.max_eval_samples)
    train_fast_on_model(source, goemotions_dir, track_a, track_b, emobank, meld_dir, out_dir, fast,
                        progress=progress, command=command)
    files = read_model(out_dir)
    write_config(out_dir, replace(files.config, name=TIER_NAME))
    card = ModelCard.load(out_dir)
    size = sum(f.stat().st_size for f in out_dir.iterdir() if f.is_file()) / 1e6
    card.name = TIER_NAME
    card.task = ("multi-domain emotion recognition, accurate tier: the 28 GoEmotions labels, the six basic emotions "
                 "(the Ekman rollup), valence-arousal-dominance and intensity, from one pass of a larger encoder")
    card.facts.update({
        "Size": f"{size:.1f} MB",
        "Training": f"resumes from checkpoints across sessions: the fine-tuning of layers {args.first_trained_layer} "
                    f"to {model.config.num_hidden_layers - 1} ({info['train_seconds']:.0f} s, {info['steps']} steps, {info['device']}) keeps its "
                    "state after every epoch in the work folder, and its lower layers' states cached there"})
    card.training = {**card.training, "fine_tuning": {**info, "arguments": args.to_dict()},
                     "seconds": round(time.perf_counter() - started)}
    card.save(out_dir)
    progress(f"done in {time.perf_counter() - started:.0f}s; model in {out_dir}")
    return card
