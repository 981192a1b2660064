"""Fit the TF-IDF heads that the runtime evaluates with numpy (:class:`emoscope.text.lexical.LexicalHead`):
the English model's word TF-IDF logistic-regression head, and word + character TF-IDF ridge
regressions blended with a regression head's graph output (VAD; ``HeadSpec.encoder_weights``).
The per-language word + character heads of ``semeval-multilingual-e5`` are fitted by
:mod:`emoscope.evaluate.tfidf`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..evaluate.tfidf import (CHAR_NGRAMS, fit_logistic, fit_word_char_head,  # noqa: F401 (re-exported)
                              word_char_vectorizers)
from ..metrics import pearson_r
from ..text.lexical import TOKEN_PATTERN, LexicalHead
from .arguments import ClassifierArguments


def fit_lexical_head(texts, targets, args: ClassifierArguments) -> LexicalHead:
    """One class-balanced logistic regression per label on word 1-2-gram TF-IDF features."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(lowercase=True, ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                                 token_pattern=TOKEN_PATTERN.pattern,
                                 max_features=args.lexical_max_features, dtype=np.float32)
    features = vectorizer.fit_transform(texts)
    coef, intercept = fit_logistic(features, targets, args.lexical_c, args.seed)
    return LexicalHead(vectorizer.get_feature_names_out().tolist(), vectorizer.idf_, coef, intercept)


@dataclass
class LexicalBlend:
    """A TF-IDF ridge regression beside a regression head, and per target the encoder's weight in
    ``w * head + (1 - w) * TF-IDF``, chosen with the ridge penalty on dev."""

    head: LexicalHead
    encoder_weights: tuple[float, ...]
    alphas: tuple[float, ...]
    dev_r: dict  # per target: {"head": r, "blend": r} on dev (out of fold on train, when chosen so)


@dataclass
class TfidfRidges:
    """Ridge regressions on word 1-2-gram and character 2-5-gram TF-IDF of one set of training
    texts (each block l2-normalised, as :class:`LexicalHead` reads them), one fit per penalty."""

    word: object  # the fitted scikit-learn vectorizers
    char: object
    fits: dict  # {penalty: fitted Ridge}
    n_documents: int

    @classmethod
    def fit(cls, texts: Sequence[str], targets: np.ndarray, alphas: Sequence[float]) -> "TfidfRidges":
        from scipy.sparse import hstack
        from sklearn.linear_model import Ridge

        word, char = word_char_vectorizers()
        train = hstack([word.fit_transform(texts), char.fit_transform(texts)]).tocsr()
        return cls(word, char, {alpha: Ridge(alpha=alpha).fit(train, targets) for alpha in alphas}, len(texts))

    def predict(self, texts: Sequence[str]) -> dict:
        """``{penalty: (n, n_targets) predictions}`` of ``texts``."""
        from scipy.sparse import hstack

        features = hstack([self.word.transform(texts), self.char.transform(texts)]).tocsr()
        return {alpha: fit.predict(features) for alpha, fit in self.fits.items()}

    def head(self, alphas: Sequence[float]) -> LexicalHead:
        """The runtime's head: target ``j`` from the fit at penalty ``alphas[j]``."""
        coef = np.stack([self.fits[alpha].coef_[j] for j, alpha in enumerate(alphas)], axis=1)
        intercept = np.array([self.fits[alpha].intercept_[j] for j, alpha in enumerate(alphas)])
        terms = self.word.get_feature_names_out().tolist() + self.char.get_feature_names_out().tolist()
        return LexicalHead(terms, np.concatenate([self.word.idf_, self.char.idf_]), coef, intercept,
                           n_word=len(self.word.vocabulary_), char_ngrams=CHAR_NGRAMS, n_documents=self.n_documents)


def fit_lexical_blend(train_texts: Sequence[str], train_targets: np.ndarray, dev_texts: Sequence[str],
                      dev_targets: np.ndarray, head_dev: np.ndarray, alphas: Sequence[float],
                      weights: Sequence[float], names: Sequence[str]) -> LexicalBlend:
    """:class:`TfidfRidges` of ``train_texts``, one penalty per target; per target the penalty
    from ``alphas`` and the head's weight from ``weights`` with the best Pearson r on dev, where
    ``head_dev`` holds the head's own predictions of ``dev_texts``."""
    ridges = TfidfRidges.fit(train_texts, train_targets, alphas)
    chosen, dev_r = _best_blends(head_dev, ridges.predict(dev_texts), dev_targets, alphas, weights, names)
    return LexicalBlend(ridges.head([alpha for alpha, _ in chosen]), tuple(float(w) for _, w in chosen),
                        tuple(float(a) for a, _ in chosen), dev_r)


def _best_blends(head: np.ndarray, predicted: dict, gold: np.ndarray, alphas: Sequence[float],
                 weights: Sequence[float], names: Sequence[str]) -> tuple[list, dict]:
    """Per target, the (penalty, weight) of ``w * head + (1 - w) * TF-IDF`` with the best Pearson
    r against ``gold`` (``predicted``: the TF-IDF ridges' predictions by penalty), and the r."""
    chosen, r_of = [], {}
    for j, name in enumerate(names):
        r, alpha, weight = max((pearson_r(w * head[:, j] + (1 - w) * predicted[a][:, j], gold[:, j]), a, w)
                               for a in alphas for w in weights)
        chosen.append((alpha, weight))
        r_of[name] = {"head": round(pearson_r(head[:, j], gold[:, j]), 4), "blend": round(r, 4)}
    return chosen, r_of


def fit_lexical_blend_cv(texts: Sequence[str], targets: np.ndarray, head_oof: np.ndarray, alphas: Sequence[float],
                         weights: Sequence[float], names: Sequence[str], *, folds: int = 5,
                         seed: int = 42) -> LexicalBlend:
    """:func:`fit_lexical_blend` without a dev split: the penalty and weight per target with the
    best out-of-fold Pearson r over ``folds`` folds of the training rows (assigned as
    :func:`~.features.cross_validated_predictions` assigns them, ``head_oof`` the head's own
    out-of-fold predictions), then the ridges fitted on every row."""
    fold_of = np.random.default_rng(seed).permutation(len(texts)) % folds
    predicted = {alpha: np.zeros(targets.shape) for alpha in alphas}
    for fold in range(folds):
        fit, held = np.flatnonzero(fold_of != fold), np.flatnonzero(fold_of == fold)
        ridges = TfidfRidges.fit([texts[i] for i in fit], targets[fit], alphas)
        for alpha, values in ridges.predict([texts[i] for i in held]).items():
            predicted[alpha][held] = values
    chosen, cv_r = _best_blends(head_oof, predicted, targets, alphas, weights, names)
    ridges = TfidfRidges.fit(texts, targets, sorted({alpha for alpha, _ in chosen}))
    return LexicalBlend(ridges.head([alpha for alpha, _ in chosen]), tuple(float(w) for _, w in chosen),
                        tuple(float(a) for a, _ in chosen), cv_r)
