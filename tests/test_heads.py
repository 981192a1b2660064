"""Valence-arousal-dominance and intensity heads of the shipped model (one graph, one pass)."""

import json

import numpy as np
import pytest

from conftest import DATASETS, run_cli

EMOBANK = DATASETS / "emobank"
TRACK_B = DATASETS / "semeval2025-task11" / "track_b"


@pytest.fixture(scope="module")
def card(model):
    return json.loads((model.directory / "model_card.json").read_text())["heads"]


def needs(path):
    if not path.exists():
        pytest.skip(f"{path} not found (set EMOSCOPE_DATASETS)")


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
    assert payload["vad_rescaled"]["valence"] == pytest.approx((payload["vad"]["valence"] - 3) / 2, abs=1e-3)
    assert set(payload["intensity"]) == {"anger", "fear", "joy", "sadness", "surprise"}
    shown = run_cli("analyze", "What a wonderful surprise, thank you!")
    assert "VAD (1-5)" in shown.stdout and "intensity (0-3)" in shown.stdout

    source = tmp_path / "in.csv"
    source.write_text("text\nI hate waiting in line\nwhat a lovely day\n")
    written = run_cli("analyze", "--input", source, "--output", tmp_path / "out.csv")
    assert written.returncode == 0, written.stderr
    import pandas as pd

    out = pd.read_csv(tmp_path / "out.csv")
    assert {"valence", "arousal", "dominance", "intensity_anger", "intensity_joy"} <= set(out.columns)
    assert out.loc[0, "valence"] < out.loc[1, "valence"]


def test_evaluate_reproduces_the_cards_vad_and_intensity_numbers(card):
    needs(EMOBANK)
    needs(TRACK_B)
    result = run_cli("evaluate", "--dataset", "emobank", "--data", EMOBANK, "--json")
    assert result.returncode == 0, result.stderr
    vad = json.loads(result.stdout)
    assert vad["split"] == "test" and vad["n_texts"] == card["vad"]["test"]["n_texts"]
    assert vad["pearson_r"] == card["vad"]["test"]["pearson_r"]
    result = run_cli("evaluate", "--dataset", "intensity", "--data", TRACK_B, "--json")
    assert result.returncode == 0, result.stderr
    intensity = json.loads(result.stdout)
    assert intensity["split"] == "dev"
    assert intensity["pearson_r"] == card["intensity"]["dev"]["pearson_r"]
    # far above chance on every target (the bars are not all met; see the card)
    assert min(vad["pearson_r"].values()) > 0.35 and intensity["mean_pearson_r"] > 0.55


def test_train_heads_rebuilds_the_shipped_heads(tmp_path, card, model):
    pytest.importorskip("onnx")
    needs(EMOBANK)
    needs(TRACK_B)
    result = run_cli("train", "heads", "--emobank", EMOBANK, "--intensity", TRACK_B,
                     "--out", tmp_path / "heads", "--threads", "2")
    assert result.returncode == 0, result.stderr
    rebuilt = json.loads((tmp_path / "heads" / "model_card.json").read_text())["heads"]
    assert rebuilt["vad"]["test"] == card["vad"]["test"]
    assert rebuilt["intensity"]["dev"] == card["intensity"]["dev"]
    assert rebuilt["vad"]["ridge_alpha"] == card["vad"]["ridge_alpha"]


def test_head_evaluation_errors_are_clear(tmp_path):
    needs(TRACK_B)
    result = run_cli("evaluate", "--dataset", "intensity", "--data", TRACK_B, "--split", "test")
    assert result.returncode == 3 and "no 'test' split" in result.stderr
    result = run_cli("evaluate", "--dataset", "emobank", "--data", tmp_path)
    assert result.returncode == 3 and "emobank.csv" in result.stderr


def test_ridge_with_more_features_than_rows_solves_the_same_problem_in_dual_form():
    """``_RidgePath`` switches to the rows' kernel matrix when features outnumber rows (the frozen
    recipe's 9,984 features); the weights must be those of the usual (primal) solution."""
    from emoscope.train.heads import _RidgePath

    rng = np.random.default_rng(0)
    features, targets = rng.normal(size=(40, 120)), rng.normal(size=(40, 3))
    dual = _RidgePath(features, targets)
    assert dual.dual
    x = (features - dual.mean) / dual.std
    for alpha in (0.5, 30.0):
        primal = np.linalg.solve(x.T @ x + alpha * np.eye(x.shape[1]), x.T @ (targets - targets.mean(axis=0)))
        assert np.allclose(dual.coefficients(alpha), primal, atol=1e-8)
    assert not _RidgePath(features[:, :20], targets).dual
