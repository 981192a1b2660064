import json

import numpy as np
import pytest

from emoscope.errors import TaxonomyError
from emoscope.lexical import LexicalHead, ngrams
from emoscope.metrics import decide, multilabel_report, tune_thresholds
from emoscope.taxonomy import goemotions_labels, load_rollup

LABELS = goemotions_labels()


@pytest.mark.parametrize("name,size", [("ekman", 7), ("sentiment", 4)])
def test_builtin_rollups_cover_every_label_once(name, size):
    rollup = load_rollup(name)
    assert len(rollup.categories) == size
    members = [m for ms in rollup.mapping.values() for m in ms]
    assert sorted(members) == sorted(LABELS)


def test_ekman_groups_match_the_dataset_authors():
    ekman = load_rollup("ekman").mapping
    assert set(ekman["anger"]) == {"anger", "annoyance", "disapproval"}
    assert set(ekman["fear"]) == {"fear", "nervousness"}
    assert set(ekman["surprise"]) == {"surprise", "realization", "confusion", "curiosity"}
    assert "gratitude" in ekman["joy"] and "grief" in ekman["sadness"]
    assert set(load_rollup("sentiment").mapping["ambiguous"]) == set(ekman["surprise"])


def test_rollup_scores_and_predictions():
    rollup = load_rollup({"a": ["x", "y"], "b": ["z"]})
    scores = np.array([[0.1, 0.7, 0.2], [0.5, 0.1, 0.9]])
    assert np.allclose(rollup.scores(scores, ["x", "y", "z"]), [[0.7, 0.2], [0.5, 0.9]])
    predicted = np.array([[False, True, False], [False, False, False]])
    assert rollup.predicted(predicted, ["x", "y", "z"]).tolist() == [[True, False], [False, False]]


def test_rollup_files(tmp_path):
    (tmp_path / "mine.json").write_text(json.dumps({"good": ["joy", "love"], "bad": ["anger"]}))
    assert load_rollup(tmp_path / "mine.json").categories == ["good", "bad"]
    (tmp_path / "mine.yaml").write_text("mapping:\n  good: [joy, love]\n  bad: anger\n")
    rollup = load_rollup(str(tmp_path / "mine.yaml"))
    assert rollup.mapping["bad"] == ("anger",)
    with pytest.raises(TaxonomyError, match="does not have: happiness"):
        load_rollup({"x": ["happiness"]}).check_labels(LABELS)
    with pytest.raises(TaxonomyError, match="unknown rollup"):
        load_rollup("plutchik")
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(TaxonomyError, match="broken.json"):
        load_rollup(tmp_path / "broken.json")
    with pytest.raises(TaxonomyError, match="must list fine labels"):
        load_rollup({"x": [1, 2]})


def test_decide_gives_every_row_a_label():
    thresholds = np.array([0.5, 0.2, 0.9])
    scores = np.array([[0.6, 0.3, 0.1], [0.1, 0.1, 0.8], [0.0, 0.0, 0.0]])
    decided = decide(scores, thresholds)
    assert decided[0].tolist() == [True, True, False]
    assert decided[1].tolist() == [False, False, True]  # 0.8/0.9 is the best ratio
    assert decided[2].sum() == 1


def test_report_by_hand():
    gold = np.array([[1, 0], [1, 1], [0, 1], [0, 0]], dtype=bool)
    pred = np.array([[1, 0], [0, 1], [1, 1], [0, 0]], dtype=bool)
    report = multilabel_report(gold, pred, ["a", "b"])
    a, b = report.per_label
    assert (a.precision, a.recall, a.f1, a.support) == (0.5, 0.5, 0.5, 2)
    assert (b.precision, b.recall, b.f1) == (1.0, 1.0, 1.0)
    assert report.macro_f1 == pytest.approx(0.75)
    assert report.micro_f1 == pytest.approx(2 * 0.75 * 0.75 / 1.5)  # tp 3, fp 1, fn 1


def test_tune_thresholds_separates_classes():
    gold = np.array([[1], [1], [0], [0]], dtype=bool)
    scores = np.array([[0.8], [0.6], [0.3], [0.1]])
    t = tune_thresholds(gold, scores)[0]
    assert 0.3 < t <= 0.6


def test_lexical_head_by_hand(tmp_path):
    assert ngrams("I LOVE it, love it!") == ["love", "it", "love", "it", "love it", "it love", "love it"]
    head = LexicalHead(["love", "love it", "hate"], np.array([1.0, 2.0, 1.5]),
                       np.array([[2.0], [1.0], [-3.0]]), np.array([-1.0]))
    x = np.array([1 + np.log(2), 2.0 * (1 + np.log(2))])
    x /= np.linalg.norm(x)
    assert head.decision_function(["love it, love it"])[0, 0] == pytest.approx(-1 + x @ [2.0, 1.0], rel=1e-5)
    assert head.decision_function(["nothing known"])[0, 0] == pytest.approx(-1.0)
    head.save(tmp_path)
    again = LexicalHead.load(tmp_path)
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


def test_platt_calibration_fixes_overconfident_scores_and_keeps_their_order():
    import numpy as np

    from emoscope.calibration import apply_platt, expected_calibration_error, fit_platt

    rng = np.random.default_rng(0)
    gold = rng.random((20000, 3)) < np.array([0.05, 0.2, 0.5])
    scores = np.clip(np.where(gold, 0.7, 0.4) + rng.normal(0, 0.15, gold.shape), 0.01, 0.99)
    a, b = fit_platt(scores, gold)
    calibrated = apply_platt(scores, a, b)
    before, after = expected_calibration_error(scores, gold), expected_calibration_error(calibrated, gold)
    assert after < 0.02 < before
    for j in range(3):  # the map is increasing: the ranking of texts per label is kept
        order = np.argsort(scores[:, j])
        assert (np.diff(calibrated[order, j]) >= 0).all()
    perfect = rng.random(50000)
    assert expected_calibration_error(perfect, rng.random(50000) < perfect) < 0.01
