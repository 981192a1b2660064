"""A TF-IDF + logistic-regression head, evaluated with numpy alone.

It reproduces scikit-learn's ``TfidfVectorizer(lowercase=True, sublinear_tf=True, norm="l2")``
followed by one logistic regression per label, from weights exported at training time, so the
runtime needs no scikit-learn.  A head has one or two blocks of terms, each with its own idf and
its own l2 norm (scikit-learn's ``FeatureUnion`` of two vectorizers):

- word 1-2-grams (``token_pattern=r"(?u)\\b\\w\\w+\\b"``, ``ngram_range=(1, 2)``): the English
  model's head, and the first block of every per-language head;
- character n-grams inside word boundaries (``analyzer="char_wb"``, ``ngram_range=(lo, hi)``):
  the second block of the per-language heads of ``semeval-multilingual-e5``, which carry the
  morphology of languages that the word block sees too rarely (Oromo, Igbo, Amharic...).

Its probabilities are blended with the encoder's (see :mod:`emoscope.text.model`); the encoder
reads meaning, this head adds the vocabulary (rare labels in English, a language's own words in
the multilingual model) that a small frozen encoder under-fits.
"""

from __future__ import annotations

import re
from typing import Optional, Sequence

import numpy as np

TOKEN_PATTERN = re.compile(r"(?u)\b\w\w+\b")


def ngrams(text: str) -> list[str]:
    """Word 1- and 2-grams of ``text`` (scikit-learn's word analyzer, lowercased)."""
    tokens = TOKEN_PATTERN.findall(text.lower())
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]


def char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    """Character ``low``- to ``high``-grams inside word boundaries, each word padded with one space
    on either side (scikit-learn's ``char_wb`` analyzer, lowercased); a word shorter than ``n``
    counts once, whole."""
    out = []
    for word in text.lower().split():
        word = f" {word} "
        length = len(word)
        for n in range(low, high + 1):
            if length <= n:
                out.append(word)
                break
            out.extend(word[i:i + n] for i in range(length - n + 1))
    return out


class LexicalHead:
    """``vocabulary``: the word terms then (with ``char_ngrams``) the character terms; ``n_word``:
    how many are word terms (all of them without ``char_ngrams``); ``annotated``: per label,
    whether the head was fitted for it (a language's head has no say on an emotion that language
    was not annotated for: the model then keeps the encoder's score, see ``for_language``)."""

    def __init__(self, vocabulary: Sequence[str], idf: np.ndarray, coef: np.ndarray,
                 intercept: np.ndarray, *, n_word: Optional[int] = None,
                 char_ngrams: Optional[tuple[int, int]] = None, annotated: Optional[np.ndarray] = None,
                 n_documents: Optional[int] = None):
        self.n_documents = n_documents  # texts the idf was counted on (stored by per-language heads)
        self.terms = list(vocabulary)
        self.n_word = len(self.terms) if n_word is None else int(n_word)
        self.char_ngrams = tuple(int(n) for n in char_ngrams) if char_ngrams is not None else None
        if self.char_ngrams is None and self.n_word != len(self.terms):
            raise ValueError("a head without character n-grams has word terms only")
        self.blocks = [({term: i for i, term in enumerate(self.terms[:self.n_word])}, 0, ngrams)]
        if self.char_ngrams is not None:
            low, high = self.char_ngrams
            self.blocks.append(({term: i for i, term in enumerate(self.terms[self.n_word:])}, self.n_word,
                                lambda text: char_wb_ngrams(text, low, high)))
        self.vocabulary = self.blocks[0][0]
        self.idf = idf.astype(np.float32)
        self.coef = coef.astype(np.float32)  # (n_features, n_labels)
        self.intercept = intercept.astype(np.float32)
        self.annotated = (np.ones(len(self.intercept), dtype=bool) if annotated is None
                          else np.asarray(annotated, dtype=bool))

    def features(self, texts: Sequence[str]):
        """Per text: (feature indices, sublinear tf-idf values, l2-normalised block by block)."""
        rows = []
        for text in texts:
            indices, values = [], []
            for vocabulary, offset, analyze in self.blocks:
                counts: dict[int, int] = {}
                for term in analyze(text):
                    index = vocabulary.get(term)
                    if index is not None:
                        counts[index + offset] = counts.get(index + offset, 0) + 1
                if not counts:
                    continue
                index = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
                tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
                block = (1.0 + np.log(tf)) * self.idf[index]
                indices.append(index)
                values.append(block / np.linalg.norm(block))
            if not indices:
                rows.append((np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)))
            else:
                rows.append((np.concatenate(indices), np.concatenate(values)))
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
        return cls(weights.terms, weights.idf, weights.coef, weights.intercept,
                   n_word=getattr(weights, "n_word", None), char_ngrams=getattr(weights, "char_ngrams", None),
                   annotated=getattr(weights, "annotated", None))
