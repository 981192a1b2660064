"""The TF-IDF head (:mod:`emoscope.text.lexical`): by hand, as stored, and against scikit-learn."""

import numpy as np
import pytest

from emoscope.persistence import read_lexical, write_lexical
from emoscope.text.lexical import LexicalHead, ngrams


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
