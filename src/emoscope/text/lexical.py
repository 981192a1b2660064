"""A word n-gram TF-IDF + logistic-regression head, evaluated with numpy alone.

It reproduces scikit-learn's ``TfidfVectorizer(lowercase=True, ngram_range=(1, 2),
sublinear_tf=True, norm="l2")`` followed by one logistic regression per label, from weights
exported at training time, so the runtime needs no scikit-learn.  Its probabilities are blended
with the encoder's (see :mod:`emoscope.text.model`); the encoder reads meaning, this head adds the
rare-label vocabulary (``grief``, ``relief``, ``pride``...) that a small encoder under-fits.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np

TOKEN_PATTERN = re.compile(r"(?u)\b\w\w+\b")


def ngrams(text: str) -> list[str]:
    tokens = TOKEN_PATTERN.findall(text.lower())
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]


class LexicalHead:
    def __init__(self, vocabulary: Sequence[str], idf: np.ndarray, coef: np.ndarray,
                 intercept: np.ndarray):
        self.vocabulary = {term: i for i, term in enumerate(vocabulary)}
        self.terms = list(vocabulary)
        self.idf = idf.astype(np.float32)
        self.coef = coef.astype(np.float32)  # (n_features, n_labels)
        self.intercept = intercept.astype(np.float32)

    def features(self, texts: Sequence[str]):
        """Per text: (feature indices, l2-normalised sublinear tf-idf values)."""
        rows = []
        for text in texts:
            counts: dict[int, int] = {}
            for term in ngrams(text):
                index = self.vocabulary.get(term)
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
            if not counts:
                rows.append((np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)))
                continue
            index = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
            values = (1.0 + np.log(tf)) * self.idf[index]
            values /= np.linalg.norm(values)
            rows.append((index, values))
        return rows

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        out = np.tile(self.intercept, (len(texts), 1))
        for row, (index, values) in enumerate(self.features(texts)):
            if len(index):
                out[row] += values @ self.coef[index]
        return out

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.decision_function(texts)))

    @classmethod
    def from_weights(cls, weights) -> "LexicalHead":
        """From the arrays a model directory stores (:class:`emoscope.persistence.LexicalWeights`)."""
        return cls(weights.terms, weights.idf, weights.coef, weights.intercept)
