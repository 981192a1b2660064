"""``emoscope train heads``: the VAD and intensity heads rebuilt on the shipped model's frozen encoder."""

import json

import pytest

from tests.helpers import DATASETS, measured_here, needs, run_cli, same_numbers

# end-to-end training: minutes each; `pytest -m slow` runs them (CI does, once)
pytestmark = pytest.mark.slow

EMOBANK = DATASETS / "emobank"
TRACK_B = DATASETS / "semeval2025-task11" / "track_b"


@pytest.fixture(scope="module")
def card(model):
    return json.loads((model.directory / "model_card.json").read_text())


def test_train_heads_rebuilds_the_shipped_heads(tmp_path, card, model):
    pytest.importorskip("onnx")
    needs(EMOBANK)
    needs(TRACK_B)
    result = run_cli("train", "heads", "--emobank", EMOBANK, "--intensity", TRACK_B,
                     "--out", tmp_path / "heads", "--threads", "2")
    assert result.returncode == 0, result.stderr
    rebuilt = json.loads((tmp_path / "heads" / "model_card.json").read_text())
    # the heads read the int8 encoder's features: exact where its kernels are the card's (helpers)
    loose = not measured_here(card)
    same_numbers(rebuilt["metrics"]["emobank/test"], card["metrics"]["emobank/test"], "emobank/test", loose)
    same_numbers(rebuilt["metrics"]["intensity/dev"], card["metrics"]["intensity/dev"], "intensity/dev", loose)
    assert rebuilt["extra"]["heads"]["vad"]["ridge_alpha"] == card["extra"]["heads"]["vad"]["ridge_alpha"]
    # the TF-IDF regression beside the VAD head: the same choices on EmoBank dev
    for key in ("ridge_alpha", "encoder_weight", "terms"):
        assert rebuilt["extra"]["heads"]["vad"]["tfidf"][key] == card["extra"]["heads"]["vad"]["tfidf"][key], key
