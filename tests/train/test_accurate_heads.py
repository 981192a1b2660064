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


def test_a_fine_tuned_encoder_adds_its_labels_blended_with_the_labels_models(model, tmp_path):
    """``--base-model`` a folder fine-tuned on GoEmotions (its ``heads.pt`` has a labels head): the
    heads' graph also gives that head's labels, blended with the labels model's before calibration
    at the weight chosen on GoEmotions dev (``config.labels_head``); with ``--intensity-lexical``."""
    pytest.importorskip("onnx")
    torch = pytest.importorskip("torch")
    for folder in ("goemotions", "semeval2025-task11", "emobank", "meld"):
        needs(DATASETS / folder)
    from emoscope import EmotionModel
    from emoscope.train.arguments import FineTuneArguments, GoEmotionsArguments
    from emoscope.train.base_models import resolve_base_model
    from emoscope.train.goemotions import read_goemotions_splits
    from emoscope.train.top_layers import fine_tune_top_layers_or_reuse
    from emoscope.train.trainer import TrainingTask

    base, _ = resolve_base_model("all-MiniLM-L6-v2")
    train = read_goemotions_splits(DATASETS / "goemotions", GoEmotionsArguments(max_train_samples=64))[0]
    task = TrainingTask("labels", list(train.texts), train.targets.astype(np.float32), "bce")
    tuned, _ = fine_tune_top_layers_or_reuse(tmp_path / "tuned", base, [task], {"labels": 28}, 5,
                                             FineTuneArguments(epochs=1, batch_size=16, num_threads=2), tmp_path / "ft",
                                             progress=lambda m: None)
    out = tmp_path / "tier"
    result = run_cli("train", "accurate", "--labels-model", "fast", "--base-model", tmp_path / "tuned",
                     "--goemotions", DATASETS / "goemotions", "--track-a", DATASETS / "semeval2025-task11" / "track_a",
                     "--track-b", DATASETS / "semeval2025-task11" / "track_b", "--emobank", DATASETS / "emobank",
                     "--meld", DATASETS / "meld", "--out", out, "--work", tmp_path / "work", "--threads", "2",
                     "--max-train-samples", "300", "--max-eval-samples", "200", "--intensity-lexical")
    assert result.returncode == 0, result.stderr[-3000:]
    tier = EmotionModel.load(out)
    assert set(tier.heads) == {"basic", "vad", "intensity", "labels"} and tier.config.labels_head == "labels"
    # --intensity-lexical: a TF-IDF regression beside the intensity head, weighed per emotion
    assert len(tier.heads["intensity"].encoder_weights) == 5 and (out / "head_lexical" / "intensity.npz").is_file()
    share = tier.config.labels_head_weight
    card = json.loads((out / "model_card.json").read_text())
    assert share == card["extra"]["labels_blend"]["weight"] and 0.0 <= share <= 1.0
    tuning = card["extra"]["labels_blend"]["fine_tuning"]["info"]
    assert tuning["first_trained_layer"] == 5 and f"{tuning['steps']} steps" in card["facts"]["Training"]
    texts = ["Thank you so much!", "I am scared of the dark."]
    from emoscope.train.modeling import mean_pool
    from emoscope.train.top_layers import tokenize_with_specials
    from emoscope.train.trainer import pad

    input_ids, mask = pad(tokenize_with_specials(base / "tokenizer.json", texts, 128))
    with torch.no_grad():  # the tuned head in torch: the graph's 4-bit weights read it within 0.05
        own = torch.sigmoid(tuned.classifier(mean_pool(tuned.encoder(input_ids=input_ids, attention_mask=mask)
                                                       .last_hidden_state, mask))).numpy()
    np.testing.assert_allclose(tier.predict_heads(texts)["labels"], own, atol=0.05)
    default = model.blend(model.component_scores(texts), calibrated=False)
    np.testing.assert_allclose(tier.blend(tier.component_scores(texts), calibrated=False),
                               (1 - share) * default + share * tier.predict_heads(texts)["labels"], atol=1e-6)
