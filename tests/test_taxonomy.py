"""Rollups of the fine labels (:mod:`emoscope.taxonomy`): built-in and from mappings or files."""

import json

import numpy as np
import pytest

from emoscope.errors import TaxonomyError
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
