"""Fit the English model's word TF-IDF logistic-regression head (scikit-learn) that the runtime
evaluates with numpy (:class:`emoscope.text.lexical.LexicalHead`); the per-language word +
character heads of ``semeval-multilingual-e5`` are fitted by :mod:`emoscope.evaluate.tfidf`."""

from __future__ import annotations

import numpy as np

from ..evaluate.tfidf import fit_logistic, fit_word_char_head, word_char_vectorizers  # noqa: F401 (re-exported)
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
