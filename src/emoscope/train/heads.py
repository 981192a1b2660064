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

import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from ..card import CardSection, ModelCard
from ..data import emobank as emobank_data
from ..data import semeval
from ..errors import InputDecodeError
from ..evaluate import describe, evaluate_head
from ..persistence import HeadSpec, ModelFiles, read_model, write_model
from ..text.encoder import OnnxTextEncoder
from ..text.model import EmotionModel
from .arguments import HeadsArguments
from .export import LAYERS_OUTPUT
from .features import RidgeFit, cross_validated_predictions, fit_ridge, layer_features
from .lexical import LexicalBlend, fit_lexical_blend, fit_lexical_blend_cv
from .graph import add_layers_output, add_linear_head, core_graph, drop_output

METHOD = ("sequential: frozen encoder; ridge regression on the mean-pooled hidden states of all 7 layers "
          "(embeddings + 6 transformer layers), added to the same ONNX graph")
# "neutral": the value of an empty text (the middle of the VAD scale, no intensity)
VAD_HEAD = HeadSpec("vad", emobank_data.VAD_TARGETS, (1.0, 5.0), "mean", 3.0)
INTENSITY_HEAD = HeadSpec("intensity", semeval.INTENSITY_EMOTIONS, (0.0, 3.0), "max", 0.0)


REBUILT = ("vad", "intensity")  # the heads this recipe fits; any other head of the base stays


def _other_heads(base: ModelFiles) -> dict:
    return {name: head for name, head in base.config.heads.items() if name not in REBUILT}


def with_graph(base: ModelFiles, out_dir: Path, graph, heads: dict, card: Optional[ModelCard],
               head_lexical: Optional[dict] = None) -> Path:
    """``out_dir``: ``base``'s model with this graph and these heads (and, for those of them with
    ``encoder_weights``, ``head_lexical``'s TF-IDF regressions, else the base's) in place of its own."""
    config = replace(base.config, heads=heads, extra=dict(base.config.extra))
    lexical = {name: weights for name, weights in {**base.head_lexical, **(head_lexical or {})}.items()
               if name in heads and heads[name].encoder_weights}
    return write_model(out_dir, config, base.labels, graph=graph, tokenizer=base.tokenizer,
                       thresholds=base.thresholds, lexical=base.lexical, calibration=base.calibration,
                       language_thresholds=base.language_thresholds or None,
                       language_lexical=base.language_lexical or None, emoji_weights=base.emoji_weights,
                       head_lexical=lexical or None, card=card)


@dataclass
class FittedHeads:
    """The VAD and intensity heads fitted on an encoder's features (see :func:`fit_vad_and_intensity`)."""

    vad: RidgeFit
    intensity: RidgeFit
    blend: Optional[LexicalBlend]  # the TF-IDF regression beside the VAD head, if any
    intensity_blend: Optional[LexicalBlend] = None  # and beside the intensity head

    @property
    def vad_head(self) -> HeadSpec:
        """VAD_HEAD, with the blend's encoder weights when there is one."""
        return VAD_HEAD if self.blend is None else replace(VAD_HEAD, encoder_weights=self.blend.encoder_weights)

    @property
    def intensity_head(self) -> HeadSpec:
        """INTENSITY_HEAD, with its blend's encoder weights when there is one."""
        return INTENSITY_HEAD if self.intensity_blend is None else replace(
            INTENSITY_HEAD, encoder_weights=self.intensity_blend.encoder_weights)

    @property
    def head_lexical(self) -> dict:
        """``{head: TF-IDF regression}`` of the heads that have a blend."""
        return {name: blend.head for name, blend in (("vad", self.blend), ("intensity", self.intensity_blend))
                if blend is not None}


def fit_vad_and_intensity(features: dict, vad_rows: dict, intensity_rows: dict, args: HeadsArguments,
                          progress: Callable[[str], None] = print) -> FittedHeads:
    """Ridge heads on ``features`` (``emobank_{train,dev}``, ``intensity_train``): VAD with its
    penalty on EmoBank dev (and, with ``args.vad_lexical``, a TF-IDF ridge blended beside it, chosen
    there too), intensity with its penalty by ``args.folds``-fold cross-validation on train."""
    progress("fitting the VAD head (penalty chosen on EmoBank dev)")
    vad = fit_ridge(features["emobank_train"], vad_rows["train"].targets, args.alphas,
                    dev=(features["emobank_dev"], vad_rows["dev"].targets))
    progress(f"fitting the intensity head (penalty chosen by {args.folds}-fold cross-validation on train)")
    targets, alphas = intensity_rows["train"].targets, list(args.alphas)
    # the head's out-of-fold predictions choose its penalty and, with its TF-IDF ridge, the blend
    out_of_fold = cross_validated_predictions(features["intensity_train"], targets, alphas, folds=args.folds,
                                              seed=args.seed)
    intensity = fit_ridge(features["intensity_train"], targets, alphas, out_of_fold=out_of_fold)
    blend = intensity_blend = None
    if args.vad_lexical:
        progress("fitting a TF-IDF ridge beside the VAD head (penalty and blend chosen on EmoBank dev)")
        # the head's dev predictions clipped as the model clips them, so the blend is chosen as it runs
        head_dev = np.clip(vad.predict(features["emobank_dev"]), *VAD_HEAD.range)
        blend = fit_lexical_blend(vad_rows["train"].texts, vad_rows["train"].targets, vad_rows["dev"].texts,
                                  vad_rows["dev"].targets, head_dev, args.lexical_alphas,
                                  args.lexical_encoder_weights, VAD_HEAD.targets)
    if args.intensity_lexical:
        progress(f"fitting a TF-IDF ridge beside the intensity head (penalty and blend by {args.folds}-fold "
                 "cross-validation on train)")
        at = [alphas.index(alpha) for alpha in intensity.alphas]  # each target at its chosen penalty
        head_oof = np.clip(np.stack([out_of_fold[a][:, j] for j, a in enumerate(at)], axis=1), *INTENSITY_HEAD.range)
        intensity_blend = fit_lexical_blend_cv(intensity_rows["train"].texts, targets, head_oof, args.lexical_alphas,
                                               args.lexical_encoder_weights, INTENSITY_HEAD.targets,
                                               folds=args.folds, seed=args.seed)
    return FittedHeads(vad, intensity, blend, intensity_blend)


def add_vad_and_intensity(graph, fitted: FittedHeads):
    """``graph`` (with the ``layers`` output) with the ``vad`` and ``intensity`` outputs, less ``layers``."""
    graph = add_linear_head(graph, "vad", fitted.vad.weight, fitted.vad.bias)
    graph = add_linear_head(graph, "intensity", fitted.intensity.weight, fitted.intensity.bias)
    return drop_output(graph, LAYERS_OUTPUT)


def read_vad_and_intensity(emobank: Path, track_b: Path) -> tuple[dict, dict]:
    """EmoBank's and SemEval track B English's rows by split (EmoBank must have all three splits)."""
    vad_rows, intensity_rows = emobank_data.read_emobank(emobank), semeval.read_intensity(track_b)
    for split in ("train", "dev", "test"):
        if split not in vad_rows or not len(vad_rows[split]):
            raise InputDecodeError(f"{emobank}: no {split!r} rows in the split column")
    return vad_rows, intensity_rows


def train_heads(base_dir: Path, out_dir: Path, emobank: Path, track_b: Path,
                args: HeadsArguments, progress: Callable[[str], None] = print,
                command: Optional[str] = None) -> ModelCard:
    """Fit the VAD and intensity heads on ``base_dir``'s frozen encoder and write ``out_dir``:
    the base model with the multi-head graph, config and card."""
    import onnx

    started = time.perf_counter()
    base_dir, out_dir = Path(base_dir), Path(out_dir)
    base = read_model(base_dir)
    vad_rows, intensity_rows = read_vad_and_intensity(emobank, track_b)

    work = out_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    # from the core graph, so that retraining the heads of a model that has them replaces them
    probe = work / "layers.onnx"
    onnx.save(add_layers_output(core_graph(onnx.load(str(base.graph)))), str(probe))
    encoder = OnnxTextEncoder.from_config(base_dir, replace(base.config, onnx_file=str(probe.resolve())),
                                          num_threads=args.num_threads)  # as the model runs

    progress("encoding EmoBank and SemEval track B with the frozen encoder")
    features = {f"emobank_{s}": layer_features(encoder, vad_rows[s].texts) for s in ("train", "dev", "test")}
    features.update({f"intensity_{s}": layer_features(encoder, intensity_rows[s].texts) for s in ("train", "dev")})

    fitted = fit_vad_and_intensity(features, vad_rows, intensity_rows, args, progress)
    graph = add_vad_and_intensity(onnx.load(str(probe)), fitted)
    card = ModelCard.load(base_dir) or ModelCard(out_dir.name, "multi-label emotion classification")
    with_graph(base, out_dir, graph, {**_other_heads(base), "vad": fitted.vad_head, "intensity": fitted.intensity_head},
               None, fitted.head_lexical)
    shutil.rmtree(work)

    progress("evaluating the written model")
    model = EmotionModel.load(out_dir, num_threads=args.num_threads)
    payloads = [{"dataset": "emobank", "split": split, "model": model.name,
                 **evaluate_head(model, "vad", vad_rows[split].texts, vad_rows[split].targets)}
                for split in ("test", "dev")]
    payloads.append({"dataset": "intensity", "split": "dev", "model": model.name,
                     **evaluate_head(model, "intensity", intensity_rows["dev"].texts, intensity_rows["dev"].targets)})
    record = heads_record(fitted, len(vad_rows["train"]), len(intensity_rows["train"]), args, METHOD, command,
                          started)
    card.extra["heads"] = record
    for payload in payloads:
        card.add_metrics(payload)
    card.set_section(heads_section(record, payloads))
    card.save(out_dir)
    test = payloads[0]
    progress(f"done in {record['wall_seconds']:.0f}s: EmoBank test r "
             + ", ".join(f"{k} {v:.4f}" for k, v in test["pearson_r"].items())
             + f"; intensity dev mean r {payloads[2]['mean_pearson_r']:.4f}; model in {out_dir}")
    return card


def _blend_record(blend: LexicalBlend, head: HeadSpec, source: str, chosen_on: str, r_key: str) -> dict:
    """The card's record of a TF-IDF ridge beside ``head``, fitted on ``source`` train."""
    return {"method": "word 1-2-gram + char_wb 2-5-gram TF-IDF (sublinear, terms in 2 texts), ridge regression "
                      f"on {source} train; w * head + (1 - w) * TF-IDF",
            "terms": len(blend.head.terms), "ridge_alpha": dict(zip(head.targets, blend.alphas)),
            "encoder_weight": dict(zip(head.targets, blend.encoder_weights)), "chosen_on": chosen_on,
            r_key: blend.dev_r}


def heads_record(fitted: FittedHeads, vad_train: int, intensity_train: int, args: HeadsArguments, method: str,
                 command: Optional[str], started: float) -> dict:
    """The card's record of how the VAD and intensity heads were fitted."""
    vad, intensity, blend = fitted.vad, fitted.intensity, fitted.blend
    return {
        "method": method,
        "vad": {"data": f"{emobank_data.LICENCE}, its split column",
                "scale": "1-5 (EmoBank's); 3 is neutral; rescaled to -1..1 as (x - 3) / 2",
                "ridge_alpha": dict(zip(VAD_HEAD.targets, vad.alphas)),
                "penalty_chosen_on": "EmoBank dev", "train": vad_train,
                **({"tfidf": _blend_record(blend, VAD_HEAD, "EmoBank", "EmoBank dev", "dev_r")} if blend else {})},
        "intensity": {"data": "SemEval 2025 Task 11 track B, English", "scale": "0-3 per emotion",
                      "ridge_alpha": dict(zip(INTENSITY_HEAD.targets, intensity.alphas)),
                      "penalty_chosen_on": f"{args.folds}-fold cross-validation on train",
                      "train": intensity_train,
                      **({"tfidf": _blend_record(fitted.intensity_blend, INTENSITY_HEAD, "track B",
                                                 f"{args.folds}-fold cross-validation on train", "cv_r")}
                         if fitted.intensity_blend else {})},
        "command": command or "",
        "wall_seconds": round(time.perf_counter() - started, 1),
    }


def heads_section(record: dict, payloads: list[dict]) -> CardSection:
    """The card's section on the VAD and intensity heads: how they were fitted and their r."""
    vad, intensity = record["vad"], record["intensity"]
    lines = [f"- Method: {record['method']}",
             f"- VAD: {vad['data']}; scale {vad['scale']}; {vad['train']} training texts; ridge penalty chosen "
             f"on {vad['penalty_chosen_on']}",
             *([f"- VAD blended with a TF-IDF head: {vad['tfidf']['method']} ({vad['tfidf']['terms']} terms); per "
                f"target the penalty and the head's weight w chosen on {vad['tfidf']['chosen_on']}: "
                + "; ".join(f"{t} w {w}, dev r {vad['tfidf']['dev_r'][t]['head']:.4f} alone, "
                            f"{vad['tfidf']['dev_r'][t]['blend']:.4f} blended"
                            for t, w in vad['tfidf']['encoder_weight'].items())] if "tfidf" in vad else []),
             f"- Intensity: {intensity['data']}; scale {intensity['scale']}; {intensity['train']} training "
             f"texts; ridge penalty chosen by {intensity['penalty_chosen_on']}",
             f"- Command: `{record['command']}` ({record['wall_seconds']:.0f} s)"]
    tables = [table for payload in payloads for section in describe(payload) for table in section.tables]
    for table, payload in zip(tables, payloads):
        table.title = f"Pearson r, {payload['dataset']} {payload['split']} ({payload['n_texts']} texts)"
    return CardSection("Valence, arousal, dominance and intensity", lines, tables)


def strip_heads(model_dir: Path, out_dir: Path) -> Path:
    """Copy ``model_dir`` without its heads: the graph cut back to ``logits`` and ``embedding``
    (the core model, as a speed baseline for the multi-head one)."""
    import onnx

    base = read_model(model_dir)
    drop = (*(head.output for head in base.config.heads.values()), LAYERS_OUTPUT)
    return with_graph(base, Path(out_dir), core_graph(onnx.load(str(base.graph)), drop), {}, ModelCard.load(model_dir))
