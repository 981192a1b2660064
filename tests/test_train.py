"""End-to-end training on a small slice of GoEmotions (needs the train extra)."""

import json

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")


def test_train_goemotions_writes_a_loadable_model(cli, goemotions_dir, tmp_path):
    out = tmp_path / "tiny-model"
    result = cli("train", "goemotions", "--data", goemotions_dir, "--out", out, "--epochs", "0.05",
                 "--max-train-samples", "600", "--max-eval-samples", "200", "--threads", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ("model.onnx", "tokenizer.json", "labels.json", "thresholds.json", "config.json",
                 "lexical.npz", "lexical_vocab.txt", "model_card.json", "README.md"):
        assert (out / name).is_file(), name
    card = json.loads((out / "model_card.json").read_text())
    assert card["training"]["command"].startswith("emoscope train goemotions")
    assert card["training"]["seed"] == 42 and card["data"]["train"] == 600
    assert len(card["metrics"]["test"]["per_label"]) == 28

    from emoscope import EmotionModel

    model = EmotionModel.load(out)
    result = model.predict("Thank you so much!")
    assert len(result.scores) == 28 and result.labels
    analyzed = cli("analyze", "--model", out, "--json", "hello there")
    assert analyzed.returncode == 0, analyzed.stderr
    assert len(json.loads(analyzed.stdout)[0]["scores"]) == 28
