"""The multi-domain default model (alias ``fast``): batches that do not couple texts, an Ekman
rollup that reports the basic-emotion head, and the accurate tier found by name."""

import numpy as np
import pytest

from emoscope import EmotionModel
from emoscope import persistence
from emoscope.errors import ModelLoadError
from emoscope.persistence import resolve_model_dir, shipped_model_dir
from tests.helpers import DATASETS, run_cli

MIXED = (["ok", "", "I am so furious right now!!! " * 8, "Why would you do that?", "Thank you so much!",
          "We walked to the station and then took the train to the city centre. " * 25 + "I'm terrified."]
         + [line.split("\t")[0] for line in open(DATASETS / "goemotions" / "test.tsv", encoding="utf-8")][:26]
         if (DATASETS / "goemotions" / "test.tsv").is_file() else [])


@pytest.mark.skipif(not MIXED, reason="needs GoEmotions")
def test_a_texts_scores_are_the_same_alone_and_in_a_batch_of_32_mixed_length_texts(model):
    assert model.encoder.batch_size == 32 and len(MIXED) == 32
    assert len({len(t) for t in MIXED}) > 20 and model.predict(MIXED[5]).windows > 1
    together, heads = model.predict_proba(MIXED), model.predict_heads(MIXED)
    for i, text in enumerate(MIXED):
        np.testing.assert_allclose(model.predict_proba([text])[0], together[i], atol=1e-5, rtol=0)
        alone = model.predict_heads([text])
        for name in heads:
            np.testing.assert_allclose(alone[name][0], heads[name][i], atol=1e-5, rtol=0)


def test_the_ekman_rollup_reports_the_basic_emotion_head(model):
    basic = model.heads["basic"]
    assert basic.rollup == "ekman" and basic.activation == "sigmoid" and len(basic.thresholds) == 6
    texts = ["I'm terrified of what the doctor will say tomorrow.", "We finally got the house, I'm so happy!",
             "The meeting is at 3 pm in room 4.", ""]
    results = model.predict(texts)
    probabilities = model.predict_heads(texts)["basic"]
    for result, row in zip(results, probabilities):
        rolled = result.rollup("ekman")
        present = tuple(t for t, p, th in zip(basic.targets, row, basic.thresholds) if p >= th)
        assert rolled.labels == (present or ("neutral",))  # neutral means no basic emotion
        assert rolled.scores["neutral"] == pytest.approx(1 - row.max())
        assert result.to_dict()["ekman"]["labels"] == list(rolled.labels)
    fear, joy, neutral_text, empty = (r.rollup("ekman").labels for r in results)
    assert "fear" in fear and "joy" in joy and neutral_text == ("neutral",) and empty == ("neutral",)


def test_names_aliases_and_a_model_package_that_is_not_installed(monkeypatch):
    assert resolve_model_dir("fast", "x") == resolve_model_dir(None, "multidomain-minilm") \
        == shipped_model_dir("multidomain-minilm")
    assert EmotionModel.load().name == EmotionModel.load("fast").name == "multidomain-minilm"
    monkeypatch.setitem(persistence.PACKAGES, "emoscope-huge", "pip install ./models/emoscope-huge")
    with pytest.raises(ModelLoadError, match=r"not installed: pip install \./models/emoscope-huge"):
        EmotionModel.load("emoscope-huge")


def test_evaluate_scores_any_label_model_on_semeval_english_and_meld_through_its_rollup():
    # no --language: a model of other labels is scored on English, not averaged over 28 languages
    result = run_cli("evaluate", "--dataset", "semeval-a", "--model", "fast",
                     "--data", DATASETS / "semeval2025-task11" / "track_a", "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    import json

    payload = json.loads(result.stdout)
    assert payload["decided_by"].startswith("the model's Ekman rollup")
    assert list(payload["languages"]) == ["eng"]
    assert set(payload["languages"]["eng"]["per_label_f1"]) == {"anger", "fear", "joy", "sadness", "surprise"}


@pytest.mark.skipif(not MIXED, reason="needs GoEmotions")
def test_many_batches_run_side_by_side_on_the_cores_with_the_scores_of_one_batch_at_a_time():
    texts = [line.split("\t")[0] for line in open(DATASETS / "goemotions" / "test.tsv", encoding="utf-8")][:150]
    texts += MIXED[:6]  # five batches of 32 at most: at least two per core, so the batches run side by side
    side_by_side = EmotionModel.load(num_threads=2)
    parallel = side_by_side.predict_proba(texts)
    assert side_by_side.encoder._pool is not None
    one_after_another = EmotionModel.load(num_threads=2)
    one_after_another.encoder.workers = 1
    np.testing.assert_allclose(one_after_another.predict_proba(texts), parallel, atol=1e-5, rtol=0)
    assert one_after_another.encoder._pool is None
    for i in range(0, len(texts), 17):
        np.testing.assert_allclose(side_by_side.predict_proba([texts[i]])[0], parallel[i], atol=1e-5, rtol=0)
