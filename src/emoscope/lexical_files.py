"""The TF-IDF heads' files in a model directory (part of the format :mod:`emoscope.persistence`
owns, which re-exports these): ``lexical_vocab.txt`` + ``lexical.npz`` (a model's head) and
``lexical/<language>.npz`` (one language's head, compact)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from .errors import ModelLoadError

LEXICAL_VOCAB_FILE = "lexical_vocab.txt"
LEXICAL_WEIGHTS_FILE = "lexical.npz"
LANGUAGE_ID_FILE = "language_id.npz"  # a multilingual model's language identifier


@dataclass
class LexicalWeights:
    """The TF-IDF head's arrays as stored (see :class:`emoscope.text.lexical.LexicalHead`)."""

    terms: list[str]
    idf: np.ndarray
    coef: np.ndarray  # (n_features, n_labels)
    intercept: np.ndarray
    n_word: Optional[int] = None  # the first n_word terms are word n-grams (None: all of them)
    char_ngrams: Optional[tuple[int, int]] = None  # the rest: character n-grams of these lengths
    annotated: Optional[np.ndarray] = None  # (n_labels,) False: a label the head was not fitted for
    n_documents: Optional[int] = None  # texts the idf was counted on (compact heads store it)



def read_lexical(directory: Path, language: Optional[str] = None, kind: str = "language") -> LexicalWeights:
    """The model's TF-IDF head (``lexical_vocab.txt`` + ``lexical.npz``) or (``language``,
    ``directory`` the model's ``lexical/`` folder) one language's (``<language>.npz``); with
    ``kind="head"``, the TF-IDF regression beside the head named ``language`` (``head_lexical/``)."""
    directory = Path(directory)
    what = "the lexical head" if language is None else f"the TF-IDF head of {kind} {language!r}"
    try:
        if language is None:
            terms = (directory / LEXICAL_VOCAB_FILE).read_text(encoding="utf-8").split("\n")[:-1]
            with np.load(directory / LEXICAL_WEIGHTS_FILE) as data:
                out = LexicalWeights(terms, data["idf"], data["coef"], data["intercept"])
        else:
            with np.load(directory / f"{language}.npz") as data:
                out = _read_compact_lexical(data)
    except (OSError, KeyError, ValueError) as exc:
        raise ModelLoadError(f"{directory}: cannot read {what} ({exc})") from None
    if len(out.terms) != len(out.idf) or out.coef.shape[0] != len(out.terms):
        raise ModelLoadError(f"{directory}: {what} has {len(out.terms)} terms for {len(out.idf)} idf values "
                             f"and {out.coef.shape[0]} weight rows")
    return out


def write_lexical(directory: Path, lexical, language: Optional[str] = None) -> None:
    """Store a lexical head (anything with ``terms``, ``idf``, ``coef`` and ``intercept``): the
    model's (weights float16), or (``language``, ``directory`` the model's ``lexical/`` folder) one
    language's in the compact form (the head must also have ``n_documents``, ``n_word``,
    ``char_ngrams`` and ``annotated``)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if language is not None:
        np.savez_compressed(directory / f"{language}.npz", **_compact_lexical(lexical))
        return
    (directory / LEXICAL_VOCAB_FILE).write_text("\n".join(lexical.terms) + "\n", encoding="utf-8")
    np.savez_compressed(directory / LEXICAL_WEIGHTS_FILE, idf=np.asarray(lexical.idf, dtype=np.float32),
                        coef=np.asarray(lexical.coef).astype(np.float16),
                        intercept=np.asarray(lexical.intercept, dtype=np.float32))


def _compact_lexical(lexical) -> dict:
    """A language's head as few bytes: the terms as one UTF-8 text (compressed with the rest), the
    document frequencies (scikit-learn's smoothed idf, ``ln((1 + n) / (1 + df)) + 1``, is recomputed
    exactly from them) and int8 weights with one scale per label."""
    if any("\n" in term for term in lexical.terms):
        raise ValueError("a lexical term holds a newline")
    n = int(lexical.n_documents)
    idf = np.asarray(lexical.idf, dtype=np.float64)
    df = np.rint((1 + n) / np.exp(idf - 1) - 1).astype(np.int64)
    coef = np.asarray(lexical.coef, dtype=np.float32)
    scale = np.maximum(np.abs(coef).max(axis=0), 1e-12) / 127.0
    return {"terms": np.frombuffer("\n".join(lexical.terms).encode("utf-8"), dtype=np.uint8),
            "df": df.astype(np.uint16 if df.max(initial=0) < 2 ** 16 else np.uint32), "n_documents": np.int64(n),
            "coef": np.rint(coef / scale).astype(np.int8), "coef_scale": scale.astype(np.float32),
            "intercept": np.asarray(lexical.intercept, dtype=np.float32), "n_word": np.int64(lexical.n_word),
            "char_ngrams": np.asarray(lexical.char_ngrams, dtype=np.int64),
            "annotated": np.asarray(lexical.annotated, dtype=bool)}


def _read_compact_lexical(data) -> LexicalWeights:
    text = data["terms"].tobytes().decode("utf-8")
    terms = text.split("\n") if text else []
    n = int(data["n_documents"])
    idf = np.log((1 + n) / (1 + data["df"].astype(np.float64))) + 1
    coef = data["coef"].astype(np.float32) * data["coef_scale"][None, :]
    return LexicalWeights(terms, idf, coef, data["intercept"], int(data["n_word"]),
                          tuple(int(x) for x in data["char_ngrams"]), data["annotated"].astype(bool), n)


def write_language_id(directory: Path, languages: list[str], head) -> None:
    """Store a language identifier: a TF-IDF head (as :func:`write_lexical` stores one language's,
    compact) with one column per language of ``languages``, whose names are stored beside it."""
    arrays = _compact_lexical(head)
    arrays["languages"] = np.frombuffer("\n".join(languages).encode("utf-8"), dtype=np.uint8)
    if arrays["coef"].shape[1] != len(languages):
        raise ValueError(f"a language identifier with {arrays['coef'].shape[1]} columns for {len(languages)} languages")
    np.savez_compressed(Path(directory) / LANGUAGE_ID_FILE, **arrays)


def read_language_id(directory: Path) -> Optional[tuple[list[str], LexicalWeights]]:
    """The languages and the TF-IDF head of ``language_id.npz``; ``None`` when the model has none."""
    path = Path(directory) / LANGUAGE_ID_FILE
    if not path.is_file():
        return None
    try:
        with np.load(path) as data:
            languages, weights = data["languages"].tobytes().decode("utf-8").split("\n"), _read_compact_lexical(data)
    except (OSError, KeyError, ValueError) as exc:
        raise ModelLoadError(f"{directory}: cannot read the language identifier ({exc})") from None
    if weights.coef.shape != (len(weights.terms), len(languages)):
        raise ModelLoadError(f"{directory}: the language identifier has weights of shape {weights.coef.shape} for "
                             f"{len(weights.terms)} terms and {len(languages)} languages")
    return languages, weights
