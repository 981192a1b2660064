import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from emoscope import EmotionModel, EmotionResult
from emoscope.errors import ModelLoadError
from emoscope.text.model import combine_windows

THANKS = "Thank you so much, you made my day!"


def test_clear_examples(model):
    thanks = model.predict(THANKS)
    assert isinstance(thanks, EmotionResult)
    assert "gratitude" in thanks.labels
    assert "joy" in thanks.rollup("ekman").labels
    assert "positive" in thanks.rollup("sentiment").labels
    angry = model.predict("I am absolutely furious, this is the worst service I have ever had.")
    assert set(angry.labels) & {"anger", "annoyance", "disgust", "disappointment"}
    assert "anger" in angry.rollup("ekman").labels or "disgust" in angry.rollup("ekman").labels
    assert angry.scores["gratitude"] < thanks.scores["gratitude"]


def test_result_shape(model):
    texts = ["I love this!", "What is going on?", "I am so sorry for your loss."]
    results = model.predict(texts)
    assert [r.text for r in results] == texts
    for r in results:
        assert list(r.scores) == model.labels and len(r.scores) == 28
        assert all(0.0 <= s <= 1.0 for s in r.scores.values())
        assert r.labels and set(r.labels) <= set(model.labels)
        top = r.top(3)
        assert len(top) == 3 and top[0][1] >= top[1][1] >= top[2][1]
        assert top[0][1] == max(r.scores.values())
    proba = model.predict_proba(texts)
    assert proba.shape == (3, 28)
    assert np.allclose(proba[0], list(results[0].scores.values()), atol=1e-6)
    assert model.predict_labels(texts).shape == (3, 28)


def test_grief_is_sadness(model):
    result = model.predict("I am so sorry for your loss. My condolences to your family.")
    assert "sadness" in result.rollup("ekman").labels
    assert "negative" in result.rollup("sentiment").labels


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_empty_text_is_neutral_with_flag(model, text):
    result = model.predict(text)
    assert result.empty is True
    assert result.labels == ("neutral",)
    assert result.scores["neutral"] == 1.0
    assert result.rollup("ekman").labels == ("neutral",)
    mixed = model.predict(["Great job!", text])
    assert mixed[1].empty and not mixed[0].empty


def test_none_counts_as_empty_and_bad_types_raise(model):
    assert model.predict([None])[0].empty
    with pytest.raises(TypeError, match="text 1 is int"):
        model.predict(["fine", 3])


def test_long_text_is_read_in_windows(model):
    filler = "We walked to the station and then took the train to the city center. " * 30
    text = filler + "Thank you so much for everything, I am truly grateful!"
    result = model.predict(text)
    assert result.windows > 1
    assert "gratitude" in result.labels  # found in the last window
    short = model.predict("We walked to the station and then took the train.")
    assert short.windows == 1


def test_window_combination_rule():
    probs = np.array([[0.1, 0.9, 0.8], [0.7, 0.2, 0.1], [0.3, 0.3, 0.3]], dtype=np.float32)
    owners = np.array([0, 0, 1])
    combined = combine_windows(probs, owners, 2, neutral_index=2)
    assert np.allclose(combined[0], [0.7, 0.9, 0.1])  # max for emotions, min for neutral
    assert np.allclose(combined[1], [0.3, 0.3, 0.3])


def test_custom_rollup_mapping(model):
    mapping = {"happy": ["joy", "gratitude", "love"], "upset": ["anger", "sadness"]}
    rolled = model.predict(THANKS).rollup(mapping)
    assert list(rolled.scores) == ["happy", "upset"]
    assert "happy" in rolled.labels
    assert rolled.scores["happy"] == pytest.approx(
        max(model.predict(THANKS).scores[l] for l in mapping["happy"]))


def test_annotate_dataframe(model):
    frame = pd.DataFrame({"id": [1, 2, 3], "body": [THANKS, "", "This is awful."]})
    out = model.annotate(frame, "body")
    assert list(out.columns[:2]) == ["id", "body"]
    assert out["id"].tolist() == [1, 2, 3]
    assert "gratitude" in out.loc[0, "labels"].split(";")
    assert out.loc[1, "empty"] and out.loc[1, "labels"] == "neutral"
    assert "joy" in out.loc[0, "ekman"].split(";")
    assert {"score_gratitude", "sentiment", "top_label"} <= set(out.columns)
    assert list(frame.columns) == ["id", "body"]  # the input is not modified
    with pytest.raises(KeyError, match="columns are: id, body"):
        model.annotate(frame, "text")


def test_save_and_load_directory(model, tmp_path):
    saved = model.save_pretrained(tmp_path / "copy")
    again = EmotionModel.load(saved)
    assert again.labels == model.labels
    assert np.allclose(again.thresholds, model.thresholds)
    assert np.allclose(again.predict_proba([THANKS]), model.predict_proba([THANKS]), atol=1e-6)
    assert (saved / "model_card.json").is_file()


def test_load_errors(tmp_path):
    with pytest.raises(ModelLoadError, match="not an emoscope model directory"):
        EmotionModel.load(tmp_path)
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ModelLoadError):
        EmotionModel.load(tmp_path)


def test_model_card_is_complete(model):
    card = json.loads((model.directory / "model_card.json").read_text())
    test = card["metrics"]["goemotions/test"]
    assert test["macro_f1"] >= 0.50
    assert len(test["per_label"]) == 28
    assert {"ekman", "sentiment"} <= set(test["rollups"])
    assert card["training"]["command"].startswith("emoscope train fast")
    assert {"seed", "wall_seconds"} <= set(card["training"])
    assert (model.directory / "README.md").read_text().count("|") > 28
    size = sum(f.stat().st_size for f in model.directory.rglob("*") if f.is_file())
    assert size < 30e6


def test_the_cards_scores_are_calibrated(model):
    # what 'emoscope evaluate --dataset goemotions --split test' measured (tests/test_cards.py
    # checks that it still does): calibrated confidence, ECE (15 bins, every label score) at most
    # 0.02 and lower than before calibration, as the calibration record says
    card = json.loads((model.directory / "model_card.json").read_text())
    test = card["metrics"]["goemotions/test"]
    calibration = card["extra"]["calibration"]
    assert test["ece"] == pytest.approx(calibration["test_ece_after"], abs=1e-4)
    assert test["ece_uncalibrated"] == pytest.approx(calibration["test_ece_before"], abs=1e-4)
    assert test["ece"] <= 0.02 and test["ece"] < test["ece_uncalibrated"]


def test_inference_does_not_import_torch():
    code = ("import sys; from emoscope import EmotionModel; "
            "r = EmotionModel.load().predict('thanks!'); "
            "print(sorted(m for m in ('torch', 'transformers', 'sklearn', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
