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
    dev_r: dict  # per target: {"head": r, "blend": r} on dev


def fit_lexical_blend(train_texts: Sequence[str], train_targets: np.ndarray, dev_texts: Sequence[str],
                      dev_targets: np.ndarray, head_dev: np.ndarray, alphas: Sequence[float],
                      weights: Sequence[float], names: Sequence[str]) -> LexicalBlend:
    """Ridge regressions on word 1-2-gram and character 2-5-gram TF-IDF of ``train_texts`` (each
    block l2-normalised, as :class:`LexicalHead` reads them), one penalty per target; per target the
    penalty from ``alphas`` and the head's weight from ``weights`` with the best Pearson r on dev,
    where ``head_dev`` holds the head's own predictions of ``dev_texts``."""
    from scipy.sparse import hstack
    from sklearn.linear_model import Ridge

    word, char = word_char_vectorizers()
    train = hstack([word.fit_transform(train_texts), char.fit_transform(train_texts)]).tocsr()
    dev = hstack([word.transform(dev_texts), char.transform(dev_texts)]).tocsr()
    fits = {alpha: Ridge(alpha=alpha).fit(train, train_targets) for alpha in alphas}
    predicted = {alpha: fit.predict(dev) for alpha, fit in fits.items()}
    chosen, dev_r = [], {}
    for j, name in enumerate(names):
        r, alpha, weight = max((pearson_r(w * head_dev[:, j] + (1 - w) * predicted[a][:, j], dev_targets[:, j]), a, w)
                               for a in alphas for w in weights)
        chosen.append((alpha, weight))
        dev_r[name] = {"head": round(pearson_r(head_dev[:, j], dev_targets[:, j]), 4), "blend": round(r, 4)}
    coef = np.stack([fits[alpha].coef_[j] for j, (alpha, _) in enumerate(chosen)], axis=1)
    intercept = np.array([fits[alpha].intercept_[j] for j, (alpha, _) in enumerate(chosen)])
    terms = word.get_feature_names_out().tolist() + char.get_feature_names_out().tolist()
    head = LexicalHead(terms, np.concatenate([word.idf_, char.idf_]), coef, intercept, n_word=len(word.vocabulary_),
                       char_ngrams=CHAR_NGRAMS, n_documents=len(train_texts))
    return LexicalBlend(head, tuple(float(w) for _, w in chosen), tuple(float(a) for a, _ in chosen), dev_r)
