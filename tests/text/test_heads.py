"""Valence-arousal-dominance and intensity heads of the shipped model (one graph, one pass)."""

import json

import numpy as np
import pytest

from tests.helpers import run_cli


def test_every_result_carries_vad_and_intensity_in_range(model):
    results = model.predict(["I am absolutely furious, they lied to me again!",
                             "We finally got married today, best day of my life!",
                             "My grandmother passed away last night and I can't stop crying.",
                             "   "])
    for r in results:
        assert all(1.0 <= v <= 5.0 for v in r.vad.to_dict().values())
        assert set(r.intensity) == {"anger", "fear", "joy", "sadness", "surprise"}
        assert all(0.0 <= v <= 3.0 for v in r.intensity.values())
        for raw, scaled in zip(r.vad.to_dict().values(), r.vad.rescaled().to_dict().values()):
            assert scaled == pytest.approx((raw - 3) / 2)
    angry, happy, sad, empty = results
    assert angry.vad.valence < 3 < happy.vad.valence
    assert sad.vad.valence < 3
    assert max(angry.intensity, key=angry.intensity.get) == "anger"
    assert max(happy.intensity, key=happy.intensity.get) == "joy"
    assert max(sad.intensity, key=sad.intensity.get) == "sadness"
    assert angry.vad.arousal > sad.vad.arousal
    # an empty text is neutral: the middle of the VAD scale, no intensity
    assert empty.vad.to_dict() == {"valence": 3.0, "arousal": 3.0, "dominance": 3.0}
    assert set(empty.intensity.values()) == {0.0}


def test_categories_vad_and_intensity_come_from_one_graph_run(model):
    names = {o.name for o in model.encoder.session.get_outputs()}
    assert {"logits", "vad", "intensity"} <= names
    text = "I can't believe they cancelled the concert, I'm so upset."
    windows, _, _ = model.encoder.windows([text])
    together = model.encoder.run_windows_outputs(windows, ["logits", "vad", "intensity"])
    for name in ("logits", "vad", "intensity"):
        alone = model.encoder.run_windows(windows, name)
        np.testing.assert_array_equal(together[name], alone)


def test_vad_is_the_graph_head_blended_with_its_tfidf_regression(model):
    """``w * graph + (1 - w) * TF-IDF`` per target, with the weights the card records."""
    from emoscope.card import ModelCard

    texts = ["I am absolutely furious, they lied to me again!", "The meeting is at noon in room 4.",
             "We won the championship!!! " * 40]  # a long text: the graph's windows averaged, the TF-IDF whole
    head = model.heads["vad"]
    output = model.encoder.run(texts, extra_outputs=["vad"])
    graph = np.stack([output.extra["vad"][output.owners == i].mean(axis=0) for i in range(len(texts))])
    lexical = model.head_lexical["vad"].decision_function(texts)
    weight = np.asarray(head.encoder_weights, dtype=np.float32)
    np.testing.assert_allclose(model.predict_heads(texts)["vad"],
                               np.clip(weight * graph + (1 - weight) * lexical, *head.range), atol=1e-5)
    recorded = ModelCard.load(model.directory).extra["heads"]["vad"]["tfidf"]["encoder_weight"]
    assert list(recorded.values()) == list(head.encoder_weights) and 0 < min(head.encoder_weights) < 1


def test_heads_leave_the_categories_exactly_as_the_core_graph_gives_them(model, tmp_path):
    pytest.importorskip("onnx")
    from emoscope import EmotionModel
    from emoscope.train.heads import strip_heads

    core = EmotionModel.load(strip_heads(model.directory, tmp_path / "core"))
    assert not core.heads and core.predict("Thanks a lot!").vad is None
    texts = ["Thanks a lot!", "This is the worst service I have ever had.", "Where is the station?"]
    np.testing.assert_array_equal(core.predict_proba(texts), model.predict_proba(texts))


def test_cli_json_and_table_output_show_vad_and_intensity(tmp_path):
    result = run_cli("analyze", "--json", "What a wonderful surprise, thank you!")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    payload = payload[0] if isinstance(payload, list) else payload
    assert set(payload["vad"]) == {"valence", "arousal", "dominance"}
    assert set(payload["intensity"]) == {"anger", "fear", "joy", "sadness", "surprise"}
    shown = run_cli("analyze", "What a wonderful surprise, thank you!")
    assert "VAD (1-5)" in shown.stdout and "intensity (0-3)" in shown.stdout
    vad_line = next(line for line in shown.stdout.splitlines() if "VAD (1-5)" in line)
    assert len(vad_line) <= 80, vad_line  # no wrap in an 80-column terminal

    source = tmp_path / "in.csv"
    source.write_text("text\nI hate waiting in line\nwhat a lovely day\n")
    written = run_cli("analyze", "--input", source, "--output", tmp_path / "out.csv")
    assert written.returncode == 0, written.stderr
    import pandas as pd

    out = pd.read_csv(tmp_path / "out.csv")
    assert {"valence", "arousal", "dominance", "intensity_anger", "intensity_joy"} <= set(out.columns)
    assert out.loc[0, "valence"] < out.loc[1, "valence"]


def test_the_cards_vad_and_intensity_numbers_are_far_above_chance(model):
    # measured by 'emoscope evaluate --dataset emobank' and '--dataset intensity' (reproduced by
    # tests/test_cards.py): far above chance on every target (the bars are not all met;
    # see the card)
    metrics = json.loads((model.directory / "model_card.json").read_text())["metrics"]
    vad, intensity = metrics["emobank/test"], metrics["intensity/dev"]
    assert min(vad["pearson_r"].values()) > 0.35 and intensity["mean_pearson_r"] > 0.55
