"""Zero-shot labels through the shipped sentence encoder (no mocks)."""

import json

import pytest

from tests.helpers import assert_clean_error

from emoscope.card import read_model_card
from emoscope.persistence import shipped_model_dir
from emoscope.text.zeroshot import ZeroShotClassifier

TEXTS = {"I miss the summers at my grandmother's house": "nostalgia",
         # "This lecture is dragging on forever" alone is a near tie: the static int8 encoder calls it
         # awe (0.40 against boredom 0.33), the earlier dynamic graph and fp32 boredom (0.42, 0.44)
         "I am so bored, this lecture is dragging on forever": "boredom",
         "Standing under the northern lights left me speechless": "awe"}


def test_cli_scores_labels_the_model_never_saw(cli):
    result = cli("analyze", "--labels", "nostalgia, awe, boredom", "--json", *TEXTS)
    assert result.returncode == 0, result.stderr
    for row, expected in zip(json.loads(result.stdout), TEXTS.values()):
        assert max(row["scores"], key=row["scores"].get) == expected
        assert sum(row["scores"].values()) == pytest.approx(1.0, abs=1e-5)
        assert expected in row["labels"]


def test_descriptions_file_and_its_errors(cli, tmp_path):
    good = tmp_path / "labels.txt"
    good.write_text("# my scheme\ncalm: This text sounds calm and relaxed.\n"
                    "rage: This text sounds furious.\n", encoding="utf-8")
    result = cli("analyze", "--label-descriptions", good, "--json", "I will destroy you, I am so furious!")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["labels"] == ["rage"]
    bad = tmp_path / "bad.txt"
    bad.write_text("calm: relaxed\nno colon here\n", encoding="utf-8")
    assert_clean_error(cli("analyze", "--label-descriptions", bad, "hi"), 6, "bad.txt:2", "label: description")
    assert_clean_error(cli("analyze", "--label-descriptions", tmp_path / "none.json", "hi"), 3, "none.json")


def test_a_single_label_always_scores_one_and_python_api_matches_cli():
    clf = ZeroShotClassifier(["joy"])
    assert clf.predict("anything at all").scores == {"joy": pytest.approx(1.0)}
    clf = ZeroShotClassifier(["nostalgia", "awe", "boredom"])
    [a] = clf.predict(["Standing under the northern lights left me speechless"])
    assert a.top(1)[0][0] == "awe"


def test_zero_shot_ekman_on_goemotions_beats_the_baselines():
    # the card's numbers are what 'emoscope evaluate --dataset zero-shot-ekman' measures (reproduced
    # by tests/test_cards.py); here: they beat both baselines by a wide margin
    card = read_model_card(shipped_model_dir("minilm-embed"))["metrics"]["zero-shot-ekman/test"]["test"]
    assert card["macro_f1"] > 2 * max(card["random_baseline_macro_f1"], card["majority_baseline_macro_f1"])
