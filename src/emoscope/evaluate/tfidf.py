"""The per-language TF-IDF model (scikit-learn, the train extra): word 1-2-grams and ``char_wb``
n-grams, a class-balanced logistic regression per emotion.  It is the baseline that ``emoscope
evaluate --dataset semeval-a`` reports beside a model (:func:`emoscope.evaluate.languages.
tfidf_baseline`) and, cut to its strongest terms, the per-language heads that ``train
multilingual-lexical`` ships (evaluated with numpy by :class:`emoscope.text.lexical.LexicalHead`)."""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from ..text.lexical import TOKEN_PATTERN, LexicalHead

CHAR_NGRAMS = (2, 5)


def fit_logistic(features, targets: np.ndarray, c: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Per label, a class-balanced logistic regression on the rows annotated for it (targets < 0
    are not annotated); a label with one class only (or no row) gets a constant score."""
    from sklearn.linear_model import LogisticRegression

    coef = np.zeros((features.shape[1], targets.shape[1]), dtype=np.float32)
    intercept = np.zeros(targets.shape[1], dtype=np.float32)
    for j in range(targets.shape[1]):
        rows = targets[:, j] >= 0
        gold = targets[rows, j]
        if not len(gold) or gold.all() or not gold.any():
            intercept[j] = 10.0 if len(gold) and gold.all() else -10.0
            continue
        clf = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, solver="liblinear", random_state=seed)
        clf.fit(features[rows], gold)
        coef[:, j], intercept[j] = clf.coef_[0], clf.intercept_[0]
    return coef, intercept


def word_char_vectorizers(vocabulary: Optional[tuple[Sequence[str], Sequence[str]]] = None, *,
                          min_df: int = 2, char_ngrams: tuple[int, int] = CHAR_NGRAMS):
    """scikit-learn's word 1-2-gram and ``char_wb`` n-gram TF-IDF vectorizers (sublinear tf, l2),
    fitted on their own vocabularies (terms seen in ``min_df`` texts) or on the given ones."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    common = dict(lowercase=True, sublinear_tf=True, dtype=np.float32)
    word = TfidfVectorizer(ngram_range=(1, 2), token_pattern=TOKEN_PATTERN.pattern,
                           min_df=1 if vocabulary else min_df, vocabulary=vocabulary[0] if vocabulary else None, **common)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(char_ngrams), min_df=1 if vocabulary else min_df,
                           vocabulary=vocabulary[1] if vocabulary else None, **common)
    return word, char


def fit_word_char_head(texts: Sequence[str], targets: np.ndarray, *, c: float = 4.0, max_features: Optional[int] = None,
                       min_df: int = 2, char_ngrams: tuple[int, int] = CHAR_NGRAMS, seed: int = 0) -> LexicalHead:
    """One language's head: word 1-2-gram and character (``char_wb``) n-gram TF-IDF blocks, each
    l2-normalised (scikit-learn's ``FeatureUnion`` of the two vectorizers), and a class-balanced
    logistic regression per label annotated in ``targets`` (``-1``: not annotated).

    ``max_features``: keep only the terms with the largest weight (over the labels) of a first
    fit, then refit the vectorizers on that vocabulary and the regressions on their features (the
    shipped model's heads must fit in its 30 MB)."""
    from scipy.sparse import hstack

    texts = list(texts)
    word, char = word_char_vectorizers(min_df=min_df, char_ngrams=char_ngrams)
    features = hstack([word.fit_transform(texts), char.fit_transform(texts)]).tocsr()
    coef, intercept = fit_logistic(features, targets, c, seed)
    if max_features is not None and features.shape[1] > max_features:
        n_word = len(word.vocabulary_)
        top = np.sort(np.argsort(-np.abs(coef).max(axis=1), kind="stable")[:max_features])
        word_terms, char_terms = word.get_feature_names_out(), char.get_feature_names_out()
        vocabulary = ([word_terms[i] for i in top if i < n_word], [char_terms[i - n_word] for i in top if i >= n_word])
        word, char = word_char_vectorizers(vocabulary, char_ngrams=char_ngrams)
        features = hstack([word.fit_transform(texts), char.fit_transform(texts)]).tocsr()
        coef, intercept = fit_logistic(features, targets, c, seed)
    terms = word.get_feature_names_out().tolist() + char.get_feature_names_out().tolist()
    return LexicalHead(terms, np.concatenate([word.idf_, char.idf_]), coef, intercept, n_word=len(word.vocabulary_),
                       char_ngrams=tuple(char_ngrams), annotated=(targets >= 0).any(axis=0), n_documents=len(texts))
