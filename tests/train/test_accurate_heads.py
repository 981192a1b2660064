"""``emoscope train accurate --labels-model``: the accurate tier as two graphs, the labels model's
files as they are and the heads on a frozen encoder (here all-MiniLM-L6-v2 and a few hundred
training texts, so that the whole recipe runs in about a minute; the shipped tier reads
all-mpnet-base-v2)."""

import json

import numpy as np
import pytest

from tests.helpers import DATASETS, needs, run_cli

pytestmark = pytest.mark.slow


def test_the_tier_keeps_the_labels_models_files_and_reads_its_heads_with_a_second_graph(model, tmp_path):
    pytest.importorskip("onnx")
    for folder in ("goemotions", "semeval2025-task11", "emobank", "meld"):
        needs(DATASETS / folder)
    out, work = tmp_path / "tier", tmp_path / "work"
    result = run_cli("train", "accurate", "--labels-model", "fast", "--base-model", "all-MiniLM-L6-v2",
                     "--goemotions", DATASETS / "goemotions", "--track-a", DATASETS / "semeval2025-task11" / "track_a",
                     "--track-b", DATASETS / "semeval2025-task11" / "track_b", "--emobank", DATASETS / "emobank",
                     "--meld", DATASETS / "meld", "--out", out, "--work", work, "--threads", "2",
                     "--max-train-samples", "300", "--max-eval-samples", "200")
    assert result.returncode == 0, result.stderr[-3000:]
    from emoscope import EmotionModel

    tier = EmotionModel.load(out)
    config = json.loads((out / "config.json").read_text())
    assert config["name"] == "emoscope-accurate" and config["heads_file"] == "heads.onnx"
    assert (out / "model.onnx").read_bytes() == (model.directory / "model.onnx").read_bytes()  # the labels' graph as is
    texts = ["Thank you so much!", "I am scared of the dark.", ""]
    np.testing.assert_array_equal(tier.predict_proba(texts), model.predict_proba(texts))
    assert tier.heads_encoder is not tier.encoder and set(tier.heads) == {"basic", "vad", "intensity"}
    assert tier.heads["vad"].encoder_weights and (out / "head_lexical" / "vad.npz").is_file()
    card = json.loads((out / "model_card.json").read_text())
    assert {"goemotions/test", "semeval-a/dev", "emobank/test", "emobank/dev", "intensity/dev",
            "meld/test"} <= set(card["metrics"])
    assert card["training"]["command"].startswith("emoscope train accurate --labels-model fast")
    assert card["extra"]["basic"]["train"]["semeval_english"] == 300  # the smoke run's rows
