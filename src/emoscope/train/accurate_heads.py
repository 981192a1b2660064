"""The accurate tier as two encoders (``emoscope train accurate --labels-model fast``).

Fine-tuning all-mpnet-base-v2 does not fit two CPU cores well enough to beat the default model on
GoEmotions (docs/experiments/accurate-top-layers.md), but reading it frozen already reads the
other sources far better than the default model's MiniLM.  So this tier keeps the default
model's graph for the 28 GoEmotions labels, unchanged (its TF-IDF blend, thresholds, calibration
and emoji offsets too), and computes its heads with a second graph: all-mpnet-base-v2 frozen
(4-bit weight matrices, int8 word embeddings, fp32 arithmetic, so a text's scores do not depend on
its batch), every hidden state mean-pooled, and the default recipe's heads fitted on them exactly
as :mod:`.fast` and :mod:`.heads` fit them on the MiniLM: the basic emotions (the Ekman rollup;
penalty and thresholds on the held-out tenth of SemEval English train and MELD dev), VAD (penalty
on EmoBank dev, with the TF-IDF regression beside it) and intensity (penalty by 5-fold
cross-validation on track B train).

Measured before it was built (2026-12-02, the rule in docs/training.md): on those choice sets the
mpnet heads beat the default model's by 0.03 (basic emotions), 0.04 (EmoBank dev mean r) and 0.07
(track B cross-validated mean r).  The encoded features are cached in chunks in the work folder,
so a stopped run resumes.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from ..card import CardSection, ModelCard
from ..evaluate import EvaluationOptions, describe, evaluate_dataset, goemotions_payload
from ..persistence import HEADS_GRAPH_FILE, HEADS_TOKENIZER_FILE, HeadSpec, read_model, write_model
from ..text.model import HEADS_GRAPH_OUTPUT, EmotionModel
from .accurate import TIER_NAME, frozen_encoder
from .arguments import AccurateArguments, FastArguments, HeadsArguments
from .base_models import resolve_base_model
from .builder import training_record
from .fast import basic_head, basic_texts, fit_basic_head, read_multidomain
from .features import cached_features, file_digest
from .graph import add_linear_head
from .heads import add_vad_and_intensity, fit_vad_and_intensity, heads_record, heads_section, \
    read_vad_and_intensity
from .labels_blend import LABELS_HEAD, blend_labels_head, tuned_labels_head
from .trainer import STATE_FILE


def train_accurate_two_encoders(labels_model: Path, goemotions_dir: Path, track_a: Path, track_b: Path,
                                emobank: Path, meld_dir: Path, out_dir: Path, args: AccurateArguments, *,
                                work: Path = Path("runs/emoscope-accurate-work"),
                                progress: Callable[[str], None] = print, command: Optional[str] = None) -> ModelCard:
    """Write the tier to ``out_dir``: ``labels_model``'s labels (its files as they are) and the
    basic-emotion, VAD and intensity heads on the frozen ``args.base_model``'s every layer."""
    import onnx

    started = time.perf_counter()
    out_dir, work = Path(out_dir), Path(work)
    work.mkdir(parents=True, exist_ok=True)
    labels = read_model(labels_model)
    fast = FastArguments(seed=args.seed, num_threads=args.num_threads, max_train_samples=args.max_train_samples,
                         max_eval_samples=args.max_eval_samples, semeval_repeats=args.semeval_repeats,
                         basic_holdout=args.basic_holdout)
    data = read_multidomain(goemotions_dir, track_a, meld_dir, fast)
    vad_rows, intensity_rows = read_vad_and_intensity(emobank, track_b)

    encoder, base_source = frozen_encoder(args, work, labels.config.max_tokens, labels.config.stride, progress)
    graph_path, tokenizer = encoder.model_path, encoder.tokenizer_path
    texts = {**basic_texts(data), **{f"emobank_{s}": vad_rows[s].texts for s in ("train", "dev")},
             "intensity_train": intensity_rows["train"].texts}
    rows, encoded = cached_features(encoder, [t for group in texts.values() for t in group],
                                    work / "features" / file_digest(graph_path), progress)
    features = {name: encoded[[rows[t] for t in group]].astype(np.float64) for name, group in texts.items()}
    del encoded

    progress("fitting the basic-emotion head (penalty and thresholds on held-out SemEval English and MELD dev)")
    basic_fit, thresholds, basic_record = fit_basic_head(features, data, fast)
    heads_args = HeadsArguments(seed=args.seed, num_threads=args.num_threads, intensity_lexical=args.intensity_lexical)
    fitted = fit_vad_and_intensity(features, vad_rows, intensity_rows, heads_args, progress)
    graph = add_vad_and_intensity(add_linear_head(onnx.load(str(graph_path)), "basic", basic_fit.weight,
                                                  basic_fit.bias), fitted)
    heads = {"basic": basic_head(thresholds), "vad": fitted.vad_head, "intensity": fitted.intensity_head}
    base = resolve_base_model(args.base_model)[0]
    tuned_labels = tuned_labels_head(base, labels.labels)
    if tuned_labels is not None:  # a fine-tuned encoder's own labels head, on its last layer
        graph = add_linear_head(graph, LABELS_HEAD, *tuned_labels, source=HEADS_GRAPH_OUTPUT)
        heads[LABELS_HEAD] = HeadSpec(LABELS_HEAD, tuple(labels.labels), (0.0, 1.0), windows="labels",
                                      activation="sigmoid")
    onnx.save(graph, str(work / HEADS_GRAPH_FILE))
    config = replace(labels.config, name=TIER_NAME, heads=heads, heads_file=HEADS_GRAPH_FILE,
                     heads_tokenizer_file=HEADS_TOKENIZER_FILE, extra=dict(labels.config.extra),
                     labels_head=LABELS_HEAD if tuned_labels is not None else None)
    # the labels model's graph as it is (its own heads' outputs go unread), so git stores it once
    write_model(out_dir, config, labels.labels, graph=labels.graph, tokenizer=labels.tokenizer,
                thresholds=labels.thresholds, lexical=labels.lexical, calibration=labels.calibration,
                emoji_weights=labels.emoji_weights, head_lexical=fitted.head_lexical or None,
                heads_graph=(work / HEADS_GRAPH_FILE, tokenizer))
    labels_blend = None
    if tuned_labels is not None:
        progress("choosing the weight of the fine-tuned encoder's labels on GoEmotions dev, then calibrating there")
        labels_blend = blend_labels_head(out_dir, data.goemotions[1], args.num_threads)
        state = base / STATE_FILE  # the fine-tuning's arguments and info
        labels_blend["fine_tuning"] = json.loads(state.read_text()) if state.is_file() else None
    read = "fine-tuned" if tuned_labels is not None else "frozen"
    record = heads_record(fitted, len(vad_rows["train"]), len(intensity_rows["train"]), heads_args,
                          f"ridge regression on the mean-pooled hidden states of all 13 layers of the {read} "
                          f"{base_source} (4-bit weights), in the heads' graph", command, started)
    card = _card(labels_model, out_dir, data, base_source, basic_record, record, args, command, started,
                 {"track_a": track_a, "track_b": track_b, "emobank": emobank, "meld": meld_dir}, labels_blend)
    progress(f"done in {time.perf_counter() - started:.0f}s; model in {out_dir}")
    return card


def _card(labels_model: Path, out_dir: Path, data, base_source: str, basic_record: dict, heads: dict,
          args: AccurateArguments, command: Optional[str], started: float, paths: dict,
          labels_blend: Optional[dict] = None) -> ModelCard:
    final = EmotionModel.load(out_dir, num_threads=args.num_threads)
    labels_card = ModelCard.load(labels_model)
    size = sum(f.stat().st_size for f in out_dir.rglob("*") if f.is_file()) / 1e6
    basic = final.heads["basic"]
    name = labels_card.name if labels_card else labels_model
    encoder = "frozen MPNet-base (12 layers)"
    labels_fact = f"the files of {name}, unchanged: the same GoEmotions scores as the default model"
    training_fact = ("one session on 2 CPU cores (no fine-tuning; the encoded features are cached in chunks in the "
                     "work folder, so a stopped run resumes)")
    labels_choice = "- GoEmotions labels: the default model's (blend weight, thresholds and calibration chosen on GoEmotions dev)."
    if labels_blend is not None:
        u = labels_blend["weight"]
        encoder = "MPNet-base fine-tuned on GoEmotions (12 layers)"
        labels_fact = (f"{1 - u:.1f} x {name}'s label scores (its graph and TF-IDF blend) + {u:.1f} x the fine-tuned "
                       "encoder's own labels head, then per-label calibration and thresholds fitted on GoEmotions dev; "
                       f"5-fold CV over dev: {labels_blend['cv_default']:.4f} with {name}'s scores alone, "
                       f"{labels_blend['cv_blend']:.4f} blended")
        tuning = (labels_blend.get("fine_tuning") or {}).get("info") or {}  # the fine-tuning's record
        training_fact = (f"two steps on 2 CPU cores: the encoder's fine-tuning ({tuning.get('train_seconds', '?')} s, "
                         f"{tuning.get('steps', '?')} steps; its state is saved every epoch and every 10 minutes, so "
                         "it resumes across sessions), then this build in one session (the encoded features cached in "
                         "chunks in the work folder, so a stopped build resumes)")
        labels_choice = (f"- GoEmotions labels: the blend weight {u} (from 0 to 1 by 0.1), calibration and thresholds "
                         f"on GoEmotions dev (macro-F1 by weight: {labels_blend['weights']}).")
    card = ModelCard(
        name=TIER_NAME,
        task="multi-domain emotion recognition, accurate tier: the 28 GoEmotions labels, "
             "the six basic emotions (the Ekman rollup), valence-arousal-dominance and intensity from a larger encoder",
        base_model=f"{labels_card.base_model if labels_card else labels_model} (labels); {base_source} (heads)",
        architecture="two graphs: the default model's (MiniLM-L6 fine-tuned on GoEmotions, its TF-IDF blend, "
                     f"thresholds and calibration) for the 28 labels; the {encoder}, every hidden "
                     "state mean-pooled (9,984 features), with linear heads for six basic emotions, VAD (blended "
                     "with a TF-IDF regression) and intensity (ONNX, 4-bit weights)",
        labels=final.labels,
        facts={"Labels": labels_fact,
               "Heads' graph": "word embeddings int8, weight matrices 4-bit in blocks of 32 (MatMulNBits), activations "
                               "and heads fp32: no activation quantization, so a text's scores do not depend on its batch",
               "Ekman rollup": "reported by the basic-emotion head: each emotion at or above its threshold "
                               f"({dict(zip(basic.targets, basic.thresholds))}, chosen on a held-out tenth of "
                               "SemEval English train and MELD dev), neutral when none is",
               "Inference": f"batches of {args.inference_batch_size} texts through both graphs",
               "Size": f"{size:.1f} MB",
               "Training": training_fact},
        data=data.card_data(),
        training=training_record(args, command, started, device="cpu"),
        extra={"basic": basic_record, "heads": heads, **({"labels_blend": labels_blend} if labels_blend else {})})
    payload = goemotions_payload(final, data.goemotions[2], "test")
    card.add_metrics(payload, describe(payload))
    options = EvaluationOptions(num_threads=args.num_threads, languages=("eng",))
    payloads = []
    for dataset, path, split in (("semeval-a", paths["track_a"], "dev"), ("emobank", paths["emobank"], "test"),
                                 ("emobank", paths["emobank"], "dev"), ("intensity", paths["track_b"], "dev"),
                                 ("meld", paths["meld"], "test")):
        payload = evaluate_dataset(dataset, path, split=split, model=str(out_dir), options=options)
        card.add_metrics(payload, describe(payload))
        payloads.append(payload)
    card.set_section(heads_section(heads, payloads[1:4]))  # EmoBank test and dev, track B dev
    card.set_section(CardSection("Choices", [
        labels_choice,
        f"- Basic emotions: ridge penalty {basic_record['ridge_alpha']} and thresholds on the held-out tenth of SemEval "
        "English train and MELD dev.",
        "- VAD: ridge penalty, TF-IDF penalty and blend weight on EmoBank dev; intensity: penalty "
        f"{'(and its TF-IDF penalty and blend weight) ' if args.intensity_lexical else ''}by 5-fold "
        "cross-validation on track B train.",
        "- Reported only: GoEmotions test, SemEval English dev, MELD test, EmoBank test, track B dev."]))
    card.save(out_dir)
    return card
