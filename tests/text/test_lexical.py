"""The TF-IDF head (:mod:`emoscope.text.lexical`): by hand, as stored, and against scikit-learn."""

import numpy as np
import pytest

from emoscope.persistence import read_lexical, write_lexical
from emoscope.text.lexical import LexicalHead, char_wb_ngrams, ngrams
from tests.helpers import DATASETS, needs


def test_lexical_head_by_hand(tmp_path):
    assert ngrams("I LOVE it, love it!") == ["love", "it", "love", "it", "love it", "it love", "love it"]
    head = LexicalHead(["love", "love it", "hate"], np.array([1.0, 2.0, 1.5]),
                       np.array([[2.0], [1.0], [-3.0]]), np.array([-1.0]))
    x = np.array([1 + np.log(2), 2.0 * (1 + np.log(2))])
    x /= np.linalg.norm(x)
    assert head.decision_function(["love it, love it"])[0, 0] == pytest.approx(-1 + x @ [2.0, 1.0], rel=1e-5)
    assert head.decision_function(["nothing known"])[0, 0] == pytest.approx(-1.0)
    write_lexical(tmp_path, head)
    again = LexicalHead.from_weights(read_lexical(tmp_path))
    assert again.terms == head.terms
    assert np.allclose(again.predict_proba(["i hate it"]), head.predict_proba(["i hate it"]), atol=1e-3)


def test_lexical_head_matches_scikit_learn():
    sklearn = pytest.importorskip("sklearn.feature_extraction.text")
    texts = ["I love it, LOVE it!", "so sad and so tired", "what?! really, really weird", "ok"]
    vec = sklearn.TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w\w+\b")
    expected = vec.fit_transform(texts).toarray()
    head = LexicalHead(vec.get_feature_names_out().tolist(), vec.idf_,
                       np.eye(len(vec.idf_)), np.zeros(len(vec.idf_)))
    assert np.allclose(head.decision_function(texts), expected, atol=1e-6)


def test_char_ngrams_by_hand():
    assert char_wb_ngrams("Ab  c", 2, 3) == [" a", "ab", "b ", " ab", "ab ", " c", "c ", " c "]
    assert char_wb_ngrams("", 2, 5) == []


def test_word_and_char_head_matches_scikit_learn_on_real_texts():
    """The per-language heads (word 1-2-grams + char_wb 2-5-grams, one l2 norm per block) give
    scikit-learn's TfidfVectorizer features, to 1e-6, on SemEval train texts in several scripts."""
    sklearn = pytest.importorskip("sklearn.feature_extraction.text")
    from scipy.sparse import hstack

    from emoscope.data.semeval import read_track_a
    from emoscope.evaluate.tfidf import word_char_vectorizers

    track_a = needs(DATASETS / "semeval2025-task11" / "track_a")
    for language, split in read_track_a(track_a, "train", ["amh", "chn", "deu", "rus", "hin"]).items():
        texts = split.texts[:300]
        word, char = word_char_vectorizers(min_df=2)
        expected = hstack([word.fit_transform(texts), char.fit_transform(texts)]).toarray()
        assert isinstance(word, sklearn.TfidfVectorizer) and expected.shape[1] > 1000
        terms = word.get_feature_names_out().tolist() + char.get_feature_names_out().tolist()
        head = LexicalHead(terms, np.concatenate([word.idf_, char.idf_]), np.zeros((len(terms), 1)), np.zeros(1),
                           n_word=len(word.vocabulary_), char_ngrams=(2, 5))
        got = np.zeros_like(expected)
        for row, (index, values) in enumerate(head.features(texts)):
            got[row, index] = values
        np.testing.assert_allclose(got, expected, atol=1e-6, err_msg=language)


def test_the_shipped_language_heads_match_scikit_learn():
    """A shipped per-language head, as stored (terms, document frequencies), gives the features of
    scikit-learn vectorizers with its vocabulary and idf on that language's dev texts."""
    pytest.importorskip("sklearn")
    from scipy.sparse import hstack

    from emoscope import EmotionModel
    from emoscope.data.semeval import read_track_a
    from emoscope.evaluate.tfidf import word_char_vectorizers

    track_a = needs(DATASETS / "semeval2025-task11" / "track_a")
    model = EmotionModel.load("semeval-multilingual-e5")
    for language in ("orm", "ukr"):
        head = model.for_language(language).lexical
        word, char = word_char_vectorizers((head.terms[:head.n_word], head.terms[head.n_word:]))
        texts = read_track_a(track_a, "dev", [language])[language].texts
        word.fit(texts), char.fit(texts)
        word.idf_, char.idf_ = head.idf[:head.n_word], head.idf[head.n_word:]
        expected = hstack([word.transform(texts), char.transform(texts)]).toarray()
        got = np.zeros_like(expected)
        for row, (index, values) in enumerate(head.features(texts)):
            got[row, index] = values
        np.testing.assert_allclose(got, expected, atol=1e-6, err_msg=language)


def test_a_language_head_is_stored_compactly(tmp_path):
    """lexical/<language>.npz: terms in the archive, document frequencies (the idf comes back
    exactly), int8 weights (within half a step of each label's scale)."""
    from emoscope.evaluate.tfidf import fit_word_char_head

    texts = ["Ich bin so wütend!", "so glücklich heute", "ich habe Angst", "wütend und traurig",
             "heute glücklich", "Angst, Angst"] * 3
    targets = np.array([[1, 0, 0, 0, 0, -1], [0, 0, 0, 1, 0, -1], [0, 0, 1, 0, 0, -1],
                        [1, 0, 0, 0, 1, -1], [0, 0, 0, 1, 0, -1], [0, 0, 1, 0, 0, -1]] * 3)
    head = fit_word_char_head(texts, targets, max_features=40)
    assert len(head.terms) == 40 and head.annotated.tolist() == [True] * 5 + [False]
    write_lexical(tmp_path, head, "deu")
    stored = read_lexical(tmp_path, "deu")
    again = LexicalHead.from_weights(stored)
    assert again.terms == head.terms and again.n_word == head.n_word and again.char_ngrams == (2, 5)
    np.testing.assert_allclose(again.idf, head.idf, rtol=1e-6)
    step = np.abs(head.coef).max(axis=0) / 127
    assert (np.abs(again.coef - head.coef) <= step / 2 + 1e-6).all()
    assert again.annotated.tolist() == head.annotated.tolist()
