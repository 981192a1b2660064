"""Valence–arousal–dominance and intensity heads on the shipped encoder (``emoscope train heads``).

Sequential training: the GoEmotions encoder stays frozen, so the categories, their calibration
and thresholds are exactly those of the core model.  The graph gets one more output per head:
a linear map of the mean-pooled hidden states of *every* layer (embeddings + 6 transformer
layers, 7 x 384 features).  Lower layers keep lexical and affective information that the
GoEmotions fine-tuning tuned away from the last layer; ridge regressions on all layers beat the
last layer alone on every target (measured while building this: EmoBank test V 0.69 vs 0.66, A
0.48 vs 0.41; SemEval intensity 0.62 vs 0.56).  The heads are a few small operators added to
the one graph, so categories, VAD and intensity come from one forward pass.

Each ridge penalty is chosen on held-out data that the reported numbers never see: EmoBank's
dev split for VAD, 5-fold cross-validation on the training file for intensity (the SemEval dev
split is then only used to report).
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np

from ..errors import InputDecodeError, InputNotFoundError, ModelLoadError
from ..io.labelled import read_labelled
from ..model import CONFIG_FILE, EmotionModel, mean_over_windows
from ..evaluate import evaluate_head, pearson_r
from .export import LAYERS_OUTPUT

VAD_TARGETS = ("valence", "arousal", "dominance")
VAD_COLUMNS = ("V", "A", "D")
INTENSITY_EMOTIONS = ("anger", "fear", "joy", "sadness", "surprise")
DEFAULT_ALPHAS = tuple(float(a) for a in np.logspace(-1, 4, 16))


@dataclass
class HeadsArguments:
    """Settings of ``emoscope train heads``."""

    alphas: Sequence[float] = field(default_factory=lambda: DEFAULT_ALPHAS)
    folds: int = 5
    seed: int = 42
    num_threads: Optional[int] = None


# -- the graph ---------------------------------------------------------------------------------
def _hidden_state_tensors(graph) -> list[str]:
    """Names of the embedding output and each transformer layer's output in an exported (and
    onnxruntime-optimised) BERT graph, bottom to top."""
    embed = [n.output[0] for n in graph.node if n.op_type.endswith("EmbedLayerNormalization")]
    layers = [n.output[0] for n in graph.node
              if n.op_type in ("SkipLayerNormalization", "LayerNormalization")
              and "/output/LayerNorm/" in n.output[0] and "/attention/" not in n.output[0]]
    if len(embed) != 1 or not layers:
        raise ModelLoadError("the graph is not an emoscope MiniLM export: cannot find its hidden states")
    return embed + layers


def _pooling_tensors(graph) -> tuple[str, str]:
    """The (batch, tokens, 1) float mask and the (batch, 1) token count that the graph's own
    mean pooling (output ``embedding``) uses."""
    producer = {o: n for n in graph.node for o in n.output}
    div = producer.get("embedding")
    if div is None or div.op_type != "Div":
        raise ModelLoadError("the graph has no mean-pooled 'embedding' output to share its mask with")
    mul = producer[producer[div.input[0]].input[0]]
    return mul.input[1], div.input[1]


def add_layers_output(model_proto):
    """Add the output ``layers``: every hidden state mean-pooled over tokens, concatenated."""
    import onnx
    from onnx import helper

    graph = model_proto.graph
    mask, count = _pooling_tensors(graph)
    axes = "emoscope_pool_axes"
    graph.initializer.append(onnx.numpy_helper.from_array(np.array([1], dtype=np.int64), axes))
    pooled = []
    for i, hidden in enumerate(_hidden_state_tensors(graph)):
        graph.node.extend([
            helper.make_node("Mul", [hidden, mask], [f"emoscope_masked_{i}"]),
            helper.make_node("ReduceSum", [f"emoscope_masked_{i}", axes], [f"emoscope_sum_{i}"], keepdims=0),
            helper.make_node("Div", [f"emoscope_sum_{i}", count], [f"emoscope_pooled_{i}"]),
        ])
        pooled.append(f"emoscope_pooled_{i}")
    graph.node.append(helper.make_node("Concat", pooled, [LAYERS_OUTPUT], axis=1))
    graph.output.append(helper.make_tensor_value_info(LAYERS_OUTPUT, onnx.TensorProto.FLOAT, ["batch", "features"]))
    return model_proto


def add_linear_head(model_proto, name: str, weight: np.ndarray, bias: np.ndarray):
    """Add output ``name`` = ``layers @ weight + bias`` (fp32: a few thousand multiply-adds)."""
    import onnx
    from onnx import helper

    graph = model_proto.graph
    graph.initializer.extend([onnx.numpy_helper.from_array(weight.astype(np.float32), f"emoscope_{name}_weight"),
                              onnx.numpy_helper.from_array(bias.astype(np.float32), f"emoscope_{name}_bias")])
    graph.node.extend([
        helper.make_node("MatMul", [LAYERS_OUTPUT, f"emoscope_{name}_weight"], [f"emoscope_{name}_matmul"]),
        helper.make_node("Add", [f"emoscope_{name}_matmul", f"emoscope_{name}_bias"], [name]),
    ])
    graph.output.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, ["batch", len(bias)]))
    return model_proto


def core_graph(model_proto):
    """The graph cut back to the core model's outputs, ``logits`` and ``embedding`` (any heads
    and their operators removed)."""
    from onnx.utils import Extractor

    return Extractor(model_proto).extract_model(["input_ids", "attention_mask"], ["logits", "embedding"])


def drop_output(model_proto, name: str):
    keep = [o for o in model_proto.graph.output if o.name != name]
    del model_proto.graph.output[:]
    model_proto.graph.output.extend(keep)
    return model_proto


# -- ridge regression --------------------------------------------------------------------------
@dataclass
class RidgeFit:
    """A ridge regression on standardised features, folded back to raw features."""

    weight: np.ndarray  # (n_features, n_targets), applies to raw features
    bias: np.ndarray  # (n_targets,)
    alphas: list  # chosen penalty per target

    def predict(self, features: np.ndarray) -> np.ndarray:
        return features @ self.weight + self.bias


class _RidgePath:
    """Solutions for many penalties from one eigendecomposition: of the features' Gram matrix
    (features x features) or, with fewer rows than features, of the rows' kernel matrix
    (rows x rows; the dual form gives the same weights, ``x.T (x x.T + alpha I)^-1 y``)."""

    def __init__(self, features: np.ndarray, targets: np.ndarray):
        self.mean = features.mean(axis=0)
        self.std = features.std(axis=0) + 1e-6
        x = ((features - self.mean) / self.std).astype(np.float64)
        self.target_mean = targets.mean(axis=0)
        centred = targets - self.target_mean
        self.dual = x.shape[0] < x.shape[1]
        if self.dual:
            self.x = x
            self.eigenvalues, self.eigenvectors = np.linalg.eigh(x @ x.T)
            self.projected = self.eigenvectors.T @ centred
        else:
            self.eigenvalues, self.eigenvectors = np.linalg.eigh(x.T @ x)
            self.projected = self.eigenvectors.T @ (x.T @ centred)

    def coefficients(self, alpha: float) -> np.ndarray:
        """Weights on standardised features, (n_features, n_targets)."""
        solved = self.eigenvectors @ (self.projected / (self.eigenvalues + alpha)[:, None])
        return self.x.T @ solved if self.dual else solved

    def predict(self, features: np.ndarray, alpha: float) -> np.ndarray:
        return ((features - self.mean) / self.std) @ self.coefficients(alpha) + self.target_mean

    def folded(self, alphas: Sequence[float]) -> RidgeFit:
        """The fit with one penalty per target, as weights on raw features."""
        coef = np.stack([self.coefficients(a)[:, j] for j, a in enumerate(alphas)], axis=1)
        weight = coef / self.std[:, None]
        return RidgeFit(weight, self.target_mean - self.mean @ weight, list(alphas))


def fit_ridge(features: np.ndarray, targets: np.ndarray, alphas: Sequence[float], *,
              dev: Optional[tuple[np.ndarray, np.ndarray]] = None, folds: int = 5,
              seed: int = 42) -> RidgeFit:
    """Ridge regression per target, the penalty chosen for the best Pearson r on ``dev`` or, with
    no dev, by ``folds``-fold cross-validation on the training rows."""
    alphas = list(alphas)
    full = _RidgePath(features, targets)
    if dev is not None:
        best = best_penalties([full.predict(dev[0], alpha) for alpha in alphas], dev[1], alphas)
    else:
        best = best_penalties(cross_validated_predictions(features, targets, alphas, folds=folds, seed=seed),
                              targets, alphas)
    return full.folded(best)


def best_penalties(predicted: Sequence[np.ndarray], targets: np.ndarray, alphas: Sequence[float]) -> list:
    """Per target, the penalty whose held-out predictions (``predicted[i]`` for ``alphas[i]``) have
    the highest Pearson r (the largest penalty when r is undefined, e.g. a constant target)."""
    scores = np.array([[pearson_r(p[:, j], targets[:, j]) for j in range(targets.shape[1])] for p in predicted])
    return [alphas[int(np.nanargmax(column))] if not np.isnan(column).all() else max(alphas)
            for column in scores.T]


def cross_validated_predictions(features: np.ndarray, targets: np.ndarray, alphas: Sequence[float], *,
                                folds: int = 5, seed: int = 42) -> np.ndarray:
    """Out-of-fold ridge predictions, (n_alphas, n_rows, n_targets): each row predicted by the fit
    on the other folds (rows assigned to folds at random with ``seed``)."""
    fold_of = np.random.default_rng(seed).permutation(len(features)) % folds
    predicted = np.zeros((len(alphas), *targets.shape))
    for fold in range(folds):
        train, held = fold_of != fold, fold_of == fold
        path = _RidgePath(features[train], targets[train])
        for i, alpha in enumerate(alphas):
            predicted[i][held] = path.predict(features[held], alpha)
    return predicted


# -- data --------------------------------------------------------------------------------------
def _csv(path: Path, what: str) -> Path:
    if not path.is_file():
        raise InputNotFoundError(f"{path}: no such file ({what})")
    return path


def read_emobank(path: str | Path):
    """EmoBank's ``emobank.csv`` (columns id, split, V, A, D, text): {split: (texts, (n, 3))}."""
    path = Path(path)
    if path.is_dir():
        path = path / "emobank.csv"
    data = read_labelled(str(_csv(path, "EmoBank: a directory holding emobank.csv, or the file")),
                         text_column="text", target_columns=list(VAD_COLUMNS), split_column="split")
    return {split: (part.texts, part.targets.astype(np.float64)) for split, part in data.splits.items()}


def read_intensity(track_b: str | Path, language: str = "eng"):
    """SemEval 2025 Task 11 track B (``train/eng.csv``, ``dev/eng.csv``: intensities 0-3)."""
    track_b = Path(track_b)
    out = {}
    for split in ("train", "dev"):
        data = read_labelled(str(_csv(track_b / split / f"{language}.csv", f"SemEval 2025 track B {split}")),
                             text_column="text", target_columns=list(INTENSITY_EMOTIONS),
                             require_splits=False)
        part = data.splits["train"]
        out[split] = (part.texts, part.targets.astype(np.float64))
    return out


def layer_features(encoder, texts: Sequence[str]) -> np.ndarray:
    """The ``layers`` output for each text (windows of a long text averaged)."""
    output = encoder.run(list(texts), LAYERS_OUTPUT)
    return mean_over_windows(output.logits, output.owners, len(texts)).astype(np.float64)


# -- the recipe --------------------------------------------------------------------------------
def train_heads(base_dir: Path, out_dir: Path, emobank: Path, track_b: Path,
                args: HeadsArguments, progress: Callable[[str], None] = print,
                command: Optional[str] = None) -> dict:
    """Fit the VAD and intensity heads on ``base_dir``'s frozen encoder and write ``out_dir``:
    the base model's files with the multi-head graph, config and card."""
    import onnx

    from ..card import write_model_card
    from ..inference import OnnxTextEncoder

    started = time.perf_counter()
    base_dir, out_dir = Path(base_dir), Path(out_dir)
    config = json.loads((base_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    emobank_data, intensity_data = read_emobank(emobank), read_intensity(track_b)
    for split in ("train", "dev", "test"):
        if split not in emobank_data or not len(emobank_data[split][0]):
            raise InputDecodeError(f"{emobank}: no {split!r} rows in the split column")

    work = out_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    # from the core graph, so that retraining the heads of a model that has them replaces them
    probe = work / "layers.onnx"
    onnx.save(add_layers_output(core_graph(onnx.load(str(base_dir / config.get("onnx_file", "model.onnx"))))),
              str(probe))
    proto = onnx.load(str(probe))
    encoder = OnnxTextEncoder.from_config(base_dir, {**config, "onnx_file": str(probe.resolve())},
                                          num_threads=args.num_threads, batch_size=1)

    progress("encoding EmoBank and SemEval track B with the frozen encoder")
    features = {f"emobank_{s}": layer_features(encoder, emobank_data[s][0]) for s in ("train", "dev", "test")}
    features.update({f"intensity_{s}": layer_features(encoder, intensity_data[s][0]) for s in ("train", "dev")})

    progress("fitting the VAD head (penalty chosen on EmoBank dev)")
    vad = fit_ridge(features["emobank_train"], emobank_data["train"][1], args.alphas,
                    dev=(features["emobank_dev"], emobank_data["dev"][1]))
    progress(f"fitting the intensity head (penalty chosen by {args.folds}-fold cross-validation on train)")
    intensity = fit_ridge(features["intensity_train"], intensity_data["train"][1], args.alphas,
                          folds=args.folds, seed=args.seed)

    proto = add_linear_head(proto, "vad", vad.weight, vad.bias)
    proto = add_linear_head(proto, "intensity", intensity.weight, intensity.bias)
    proto = drop_output(proto, LAYERS_OUTPUT)

    # "neutral": the value of an empty text (the middle of the VAD scale, no intensity)
    config["heads"] = {
        "vad": {"output": "vad", "targets": list(VAD_TARGETS), "range": [1.0, 5.0], "windows": "mean",
                "neutral": 3.0},
        "intensity": {"output": "intensity", "targets": list(INTENSITY_EMOTIONS), "range": [0.0, 3.0],
                      "windows": "max", "neutral": 0.0},
    }
    _write_model(base_dir, out_dir, proto, config)
    shutil.rmtree(work)

    progress("evaluating the written model")
    model = EmotionModel.load(out_dir, num_threads=args.num_threads)
    metrics = {"vad": {split: evaluate_head(model, "vad", *emobank_data[split]) for split in ("dev", "test")},
               "intensity": {"dev": evaluate_head(model, "intensity", *intensity_data["dev"])}}
    card_path = out_dir / "model_card.json"
    card = json.loads(card_path.read_text(encoding="utf-8")) if card_path.is_file() else {"name": out_dir.name}
    card["heads"] = {
        "method": "sequential: frozen encoder; ridge regression on the mean-pooled hidden states of "
                  "all 7 layers (embeddings + 6 transformer layers), added to the same ONNX graph",
        "vad": {"data": "EmoBank (Buechel & Hahn, EACL 2017), CC BY-SA 4.0, its split column",
                "scale": "1-5 (EmoBank's); 3 is neutral; rescaled to -1..1 as (x - 3) / 2",
                "ridge_alpha": dict(zip(VAD_TARGETS, vad.alphas)),
                "penalty_chosen_on": "EmoBank dev", "train": len(emobank_data["train"][0]),
                **metrics["vad"]},
        "intensity": {"data": "SemEval 2025 Task 11 track B, English", "scale": "0-3 per emotion",
                      "ridge_alpha": dict(zip(INTENSITY_EMOTIONS, intensity.alphas)),
                      "penalty_chosen_on": f"{args.folds}-fold cross-validation on train",
                      "train": len(intensity_data["train"][0]), **metrics["intensity"]},
        "command": command or " ".join(sys.argv),
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    write_model_card(out_dir, card)
    progress(f"done in {card['heads']['wall_seconds']:.0f}s: EmoBank test r "
             + ", ".join(f"{k} {v:.4f}" for k, v in metrics["vad"]["test"]["pearson_r"].items())
             + f"; intensity dev mean r {metrics['intensity']['dev']['mean_pearson_r']:.4f}; model in {out_dir}")
    return card


def strip_heads(model_dir: Path, out_dir: Path) -> Path:
    """Copy ``model_dir`` without its heads: the graph cut back to ``logits`` and ``embedding``
    (the core model, as a speed baseline for the multi-head one)."""
    import onnx

    model_dir, out_dir = Path(model_dir), Path(out_dir)
    config = json.loads((model_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    config.pop("heads", None)
    _write_model(model_dir, out_dir, core_graph(onnx.load(str(model_dir / config.get("onnx_file", "model.onnx")))),
                 config)
    return out_dir


def _write_model(base_dir: Path, out_dir: Path, graph, config: dict) -> None:
    """``out_dir``: ``base_dir``'s files with this graph and config in place of its own."""
    import onnx

    out_dir.mkdir(parents=True, exist_ok=True)
    onnx_file = config.get("onnx_file", "model.onnx")
    for item in base_dir.iterdir():
        if item.is_file() and item.name not in (onnx_file, CONFIG_FILE):
            shutil.copyfile(item, out_dir / item.name)
    onnx.save(graph, str(out_dir / onnx_file))
    (out_dir / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
