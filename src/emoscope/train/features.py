"""Frozen-encoder features and ridge heads: the one implementation every recipe that fits linear
heads on a frozen encoder uses (``train heads``, ``train custom --frozen``, ``train
multilingual``, ``train accurate``, the teachers of ``train distill`` and ``train fast --teacher``).

- :func:`layer_features`: the graph's ``layers`` output (every hidden state, mean-pooled) per text;
  :func:`cached_features` the same for many texts, cached in chunks on disk (a run resumes).
- :class:`RidgePath`: ridge regressions for many penalties from one eigendecomposition per set of
  rows (targets a row is not annotated for leave it out of their fit).
- :func:`fit_ridge`, :func:`cross_validated_predictions`, :func:`best_penalties`: the penalty
  chosen on dev data or by k-fold cross-validation (Pearson r of held-out predictions).
- :func:`fit_platt_per_label`, :func:`fold_platt`: a per-label Platt map of ridge outputs, fitted
  on held-out predictions and folded into the linear head, so the graph's logits are calibrated.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional, Sequence

import numpy as np

from ..calibration import fit_platt
from ..metrics import pearson_r
from ..text.model import mean_over_windows
from .export import LAYERS_OUTPUT

if TYPE_CHECKING:
    from ..text.encoder import OnnxTextEncoder

CHUNK = 2000  # texts cached_features encodes and caches at a time


def layer_features(encoder, texts: Sequence[str]) -> np.ndarray:
    """The ``layers`` output for each text (windows of a long text averaged)."""
    output = encoder.run(list(texts), LAYERS_OUTPUT)
    return mean_over_windows(output.logits, output.owners, len(texts)).astype(np.float64)


@dataclass
class RidgeFit:
    """A linear head on raw features: ``features @ weight + bias``."""

    weight: np.ndarray  # (n_features, n_targets)
    bias: np.ndarray  # (n_targets,)
    alphas: list  # the penalty of each target

    def predict(self, features: np.ndarray) -> np.ndarray:
        return features @ self.weight + self.bias


class _EigenPath:
    """Ridge solutions of one set of rows for many penalties, from one eigendecomposition: of the
    standardised features' Gram matrix or, with fewer rows than features, of the rows' kernel
    matrix (the dual form gives the same weights, ``x.T (x x.T + alpha I)^-1 y``)."""

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

    def folded(self, alphas: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
        """(weight, bias) on raw features, one penalty per target."""
        coef = np.stack([self.coefficients(a)[:, j] for j, a in enumerate(alphas)], axis=1)
        weight = coef / self.std[:, None]
        return weight, self.target_mean - self.mean @ weight


class RidgePath:
    """Ridge regression of every target on standardised features (intercept unpenalised), for
    any penalty.  ``annotated`` (n_rows, n_targets) marks the rows each target was annotated for;
    targets annotated on the same rows share one eigendecomposition."""

    def __init__(self, features: np.ndarray, targets: np.ndarray, annotated: Optional[np.ndarray] = None):
        self.n_features, self.n_targets = features.shape[1], targets.shape[1]
        self.groups: list[tuple[list[int], _EigenPath]] = []
        if annotated is None:
            self.groups.append((list(range(self.n_targets)), _EigenPath(features, targets)))
            return
        by_rows: dict = {}
        for j in range(self.n_targets):
            by_rows.setdefault(annotated[:, j].tobytes(), []).append(j)
        for columns in by_rows.values():
            rows = annotated[:, columns[0]]
            self.groups.append((columns, _EigenPath(features[rows], targets[rows][:, columns])))

    @property
    def dual(self) -> bool:
        return all(path.dual for _, path in self.groups)

    def predict(self, features: np.ndarray, alpha: float) -> np.ndarray:
        out = np.zeros((len(features), self.n_targets))
        for columns, path in self.groups:
            out[:, columns] = path.predict(features, alpha)
        return out

    def folded(self, alphas: Sequence[float]) -> RidgeFit:
        """The fit with one penalty per target, as a linear head on raw features."""
        weight, bias = np.zeros((self.n_features, self.n_targets)), np.zeros(self.n_targets)
        for columns, path in self.groups:
            weight[:, columns], bias[columns] = path.folded([alphas[j] for j in columns])
        return RidgeFit(weight, bias, list(alphas))


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
        path = RidgePath(features[train], targets[train])
        for i, alpha in enumerate(alphas):
            predicted[i][held] = path.predict(features[held], alpha)
    return predicted


def fit_ridge(features: np.ndarray, targets: np.ndarray, alphas: Sequence[float], *,
              dev: Optional[tuple[np.ndarray, np.ndarray]] = None, folds: int = 5,
              seed: int = 42, out_of_fold: Optional[np.ndarray] = None) -> RidgeFit:
    """Ridge regression per target, the penalty chosen for the best Pearson r on ``dev`` or, with
    no dev, by ``folds``-fold cross-validation on the training rows (``out_of_fold``: their
    :func:`cross_validated_predictions`, when the caller has them already)."""
    alphas = list(alphas)
    full = RidgePath(features, targets)
    if dev is not None:
        best = best_penalties([full.predict(dev[0], alpha) for alpha in alphas], dev[1], alphas)
    else:
        if out_of_fold is None:
            out_of_fold = cross_validated_predictions(features, targets, alphas, folds=folds, seed=seed)
        best = best_penalties(out_of_fold, targets, alphas)
    return full.folded(best)


def fit_platt_per_label(raw: np.ndarray, gold: np.ndarray, annotated: Optional[np.ndarray] = None
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Per label, (scale, shift) so that ``sigmoid(scale * raw + shift)`` is calibrated on the
    rows annotated for that label (all rows without ``annotated``); a label no row is annotated for
    keeps the identity map."""
    scale, shift = np.ones(raw.shape[1]), np.zeros(raw.shape[1])
    for j in range(raw.shape[1]):
        rows = slice(None) if annotated is None else annotated[:, j]
        if annotated is not None and not rows.any():
            continue
        a, b = fit_platt(1 / (1 + np.exp(-raw[rows, j:j + 1])), gold[rows, j:j + 1] == 1)
        scale[j], shift[j] = a[0], b[0]
    return scale, shift


def fold_platt(fit: RidgeFit, scale: np.ndarray, shift: np.ndarray) -> RidgeFit:
    """The linear head whose outputs are ``scale * fit + shift`` (a Platt map folded in)."""
    return RidgeFit(fit.weight * scale[None, :], fit.bias * scale + shift, fit.alphas)


def file_digest(path: Path) -> str:
    """The first 16 hex digits of a file's SHA-256 (names a graph's feature cache)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 24), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def cached_features(encoder: "OnnxTextEncoder", texts: list[str], cache: Path,
                    progress: Callable[[str], None]) -> tuple[dict[str, int], np.ndarray]:
    """(row of each distinct text, features) of ``texts``: encoded ``CHUNK`` at a time, each chunk
    saved to ``cache`` as it finishes (so an interrupted run resumes), features stored as float16."""
    cache.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    blocks = []
    offset = 0
    for path in sorted(cache.glob("chunk-*.npz")):
        with np.load(path, allow_pickle=False) as stored:
            chunk_texts = json.loads(str(stored["texts"]))
            blocks.append(stored["features"])
        for i, text in enumerate(chunk_texts):
            rows.setdefault(text, offset + i)
        offset += len(chunk_texts)
    todo = [t for t in dict.fromkeys(texts) if t not in rows]
    if rows:
        progress(f"reusing the features of {len(rows)} texts cached in {cache}")
    started = time.perf_counter()
    for begin in range(0, len(todo), CHUNK):
        chunk = todo[begin:begin + CHUNK]
        features = layer_features(encoder, chunk).astype(np.float16)
        partial = cache / f".chunk-{len(blocks):05d}.npz.partial"
        with open(partial, "wb") as handle:
            np.savez(handle, texts=json.dumps(chunk), features=features)
        partial.replace(cache / f"chunk-{len(blocks):05d}.npz")
        blocks.append(features)
        for i, text in enumerate(chunk):
            rows[text] = offset + i
        offset += len(chunk)
        done = begin + len(chunk)
        elapsed = time.perf_counter() - started
        progress(f"encoded {done}/{len(todo)} texts, {elapsed:.0f}s elapsed, ~{elapsed / done * (len(todo) - done):.0f}s left")
    return rows, np.concatenate(blocks) if blocks else np.zeros((0, 0), dtype=np.float16)
