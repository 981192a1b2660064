"""Fit the TF-IDF logistic-regression head (scikit-learn) that the runtime evaluates with numpy
(:class:`emoscope.text.lexical.LexicalHead`)."""

from __future__ import annotations

import numpy as np

from ..text.lexical import TOKEN_PATTERN, LexicalHead
from .arguments import ClassifierArguments


def fit_lexical_head(texts, targets, args: ClassifierArguments) -> LexicalHead:
    """One class-balanced logistic regression per label on word 1-2-gram TF-IDF features."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(lowercase=True, ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                                 token_pattern=TOKEN_PATTERN.pattern,
                                 max_features=args.lexical_max_features, dtype=np.float32)
    features = vectorizer.fit_transform(texts)
    coef = np.zeros((features.shape[1], targets.shape[1]), dtype=np.float32)
    intercept = np.zeros(targets.shape[1], dtype=np.float32)
    for j in range(targets.shape[1]):
        if targets[:, j].all() or not targets[:, j].any():  # one class only: a constant score
            intercept[j] = 10.0 if targets[:, j].all() else -10.0
            continue
        clf = LogisticRegression(C=args.lexical_c, class_weight="balanced", max_iter=2000,
                                 solver="liblinear", random_state=args.seed)
        clf.fit(features, targets[:, j])
        coef[:, j], intercept[j] = clf.coef_[0], clf.intercept_[0]
    return LexicalHead(vectorizer.get_feature_names_out().tolist(), vectorizer.idf_, coef, intercept)
