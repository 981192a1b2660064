"""A frozen larger encoder as the teacher of the default model's basic-emotion head
(``emoscope train fast --on-model ... --teacher all-mpnet-base-v2``).

The basic head is a ridge regression on a small frozen encoder's layers, fitted on 2,497 SemEval
English texts and MELD turns; its best penalty is large (10,000), the mark of a head short of data.
The teacher (all-mpnet-base-v2 read frozen, ridge on its every layer: 5-fold CV macro-F1 about 0.71
on SemEval English train, against 0.61 for the student) labels texts no one annotated for these
emotions (EmoBank train, a sample of GoEmotions train) with its calibrated probabilities, and the
student's ridge learns from those rows too.  The teacher sees no dev or test text; its penalty is
chosen by 5-fold cross-validation on the training rows, its Platt map fitted on their out-of-fold
predictions (ridge on ~10,000 features fits its own training rows almost exactly, so in-sample
predictions would calibrate nothing).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..data.labelled import NOT_ANNOTATED
from ..metrics import masked_macro_f1, tune_thresholds_masked
from ..text.encoder import OnnxTextEncoder, sigmoid
from .features import RidgeFit, RidgePath, cached_features, file_digest, fit_platt_per_label, fold_platt

FOLDS = 5


def teacher_encoder(name: str, work: Path, *, num_threads, batch_size: int = 32) -> tuple[OnnxTextEncoder, Path]:
    """The frozen teacher graph (4-bit weights, every layer mean-pooled), exported once into ``work``."""
    from .base_models import resolve_base_model
    from .frozen import export_frozen_encoder

    base, _ = resolve_base_model(name)
    graph = work / "teacher.onnx"
    if not graph.is_file():
        export_frozen_encoder(base, graph)
    return OnnxTextEncoder(graph, base / "tokenizer.json", max_tokens=128, stride=96, batch_size=batch_size,
                           num_threads=num_threads), graph


def fit_teacher(features: np.ndarray, targets: np.ndarray, annotated: np.ndarray, alphas: Sequence[float],
                seed: int) -> tuple[RidgeFit, dict]:
    """(head, record): ridge with the penalty of ``alphas`` that scores the best 5-fold CV
    macro-F1 (each emotion at its best out-of-fold threshold), Platt map from the out-of-fold
    predictions folded in.  A target no row is annotated for gets a zero head (its outputs are
    never used: :func:`teacher_targets` leaves it unannotated)."""
    columns = np.flatnonzero(annotated.any(axis=0))
    y, known = targets[:, columns], annotated[:, columns]
    folds = np.random.default_rng(seed).integers(0, FOLDS, len(features))
    gold = np.where(known, y, NOT_ANNOTATED)
    tried, best = {}, None
    for alpha in alphas:
        out_of_fold = np.zeros_like(y, dtype=np.float64)
        for k in range(FOLDS):
            fit = RidgePath(features[folds != k], y[folds != k], known[folds != k]).folded([alpha] * len(columns))
            out_of_fold[folds == k] = fit.predict(features[folds == k])
        platt = fit_platt_per_label(out_of_fold, y, known)
        scores = sigmoid(out_of_fold * platt[0] + platt[1])
        thresholds = tune_thresholds_masked(gold, scores, fallback=np.full(len(columns), 0.5), missing=NOT_ANNOTATED)
        tried[str(alpha)] = round(masked_macro_f1(gold, scores >= thresholds, NOT_ANNOTATED), 4)
        if best is None or tried[str(alpha)] > best[0]:
            best = (tried[str(alpha)], alpha, platt)
    _, alpha, platt = best
    fit = fold_platt(RidgePath(features, y, known).folded([alpha] * len(columns)), *platt)
    weight = np.zeros((features.shape[1], targets.shape[1]))
    bias = np.zeros(targets.shape[1])
    weight[:, columns], bias[columns] = fit.weight, fit.bias
    return RidgeFit(weight, bias, [alpha] * targets.shape[1]), {"ridge_alpha": alpha, "cv_macro_f1_by_alpha": tried,
                                                                 "folds": FOLDS}


def teacher_targets(name: str, train_texts: list[str], targets: np.ndarray, annotated: np.ndarray,
                    unlabelled: list[str], alphas: Sequence[float], work: Path, *, seed: int, num_threads,
                    progress: Callable[[str], None] = print) -> tuple[np.ndarray, np.ndarray, dict]:
    """(probabilities, annotated, record) the teacher gives ``unlabelled``: one column per target,
    annotated where any training row is (an emotion the training rows never annotate stays out of
    the student's fit on these rows).  Features are cached in ``work`` (an interrupted run resumes)."""
    encoder, graph = teacher_encoder(name, work, num_threads=num_threads)
    progress(f"teacher {name}: encoding {len(train_texts)} training and {len(unlabelled)} unlabelled texts")
    rows, features = cached_features(encoder, list(train_texts) + list(unlabelled),
                                     work / "teacher-features" / file_digest(graph), progress)
    x = features[[rows[t] for t in train_texts]].astype(np.float64)
    head, record = fit_teacher(x, targets, annotated, alphas, seed)
    progress(f"teacher penalty {record['ridge_alpha']:g}: 5-fold CV macro-F1 "
             f"{record['cv_macro_f1_by_alpha'][str(record['ridge_alpha'])]:.4f}")
    probabilities = np.zeros((len(unlabelled), targets.shape[1]), dtype=np.float32)
    for begin in range(0, len(unlabelled), 4096):  # float64 rows a block at a time
        block = features[[rows[t] for t in unlabelled[begin:begin + 4096]]].astype(np.float64)
        probabilities[begin:begin + len(block)] = sigmoid(head.predict(block))
    mask = np.tile(annotated.any(axis=0), (len(unlabelled), 1))
    return probabilities, mask, {"teacher": name, **record, "unlabelled_texts": len(unlabelled)}
