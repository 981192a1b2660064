"""End-to-end training on a small slice of GoEmotions (needs the train extra)."""

import json

import numpy as np
import pandas as pd
import pytest

from tests.helpers import DATASETS

# end-to-end training: minutes each; `pytest -m slow` runs them (CI does, once)
pytestmark = pytest.mark.slow

pytest.importorskip("torch")
pytest.importorskip("transformers")

MELD = DATASETS / "meld"


def test_train_goemotions_writes_a_loadable_model(cli, goemotions_dir, tmp_path):
    out = tmp_path / "tiny-model"
    result = cli("train", "goemotions", "--data", goemotions_dir, "--out", out, "--epochs", "0.05",
                 "--max-train-samples", "600", "--max-eval-samples", "200", "--threads", "2",
                 "--positive-weight-power", "0.5")
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ("model.onnx", "tokenizer.json", "labels.json", "thresholds.json", "config.json",
                 "lexical.npz", "lexical_vocab.txt", "model_card.json", "README.md"):
        assert (out / name).is_file(), name
    card = json.loads((out / "model_card.json").read_text())
    assert card["training"]["command"].startswith("emoscope train goemotions")
    assert card["training"]["seed"] == 42 and card["data"]["train"] == 600
    assert card["training"]["arguments"]["positive_weight_power"] == 0.5
    assert len(card["metrics"]["goemotions/test"]["per_label"]) == 28

    from emoscope import EmotionModel

    model = EmotionModel.load(out)
    result = model.predict("Thank you so much!")
    assert len(result.scores) == 28 and result.labels
    analyzed = cli("analyze", "--model", out, "--json", "hello there")
    assert analyzed.returncode == 0, analyzed.stderr
    assert len(json.loads(analyzed.stdout)[0]["scores"]) == 28
    train_fast_on_it_as_the_default_model_is_built(cli, out, goemotions_dir, tmp_path / "tiny-default")


def train_fast_on_it_as_the_default_model_is_built(cli, source, goemotions_dir, out):
    """``train fast --on-model`` (the shipped default's recipe) on the model just built: static
    int8, the basic-emotion head chosen on its grid, VAD and intensity heads, the emoji setting;
    with ``--teacher``, the frozen all-mpnet-base-v2 labelling EmoBank and GoEmotions train texts."""
    from emoscope import EmotionModel
    from emoscope.runtime import int8_kernels
    from emoscope.train.arguments import FastArguments

    track = DATASETS / "semeval2025-task11"
    for path in (track / "track_a", track / "track_b", DATASETS / "emobank", MELD):
        if not path.exists():
            pytest.skip(f"{path} not found")
    result = cli("train", "fast", "--on-model", source, "--goemotions", goemotions_dir, "--track-a", track / "track_a",
                 "--track-b", track / "track_b", "--emobank", DATASETS / "emobank", "--meld", MELD, "--out", out,
                 "--max-train-samples", "300", "--max-eval-samples", "100", "--threads", "2",
                 "--teacher", "all-mpnet-base-v2")
    assert result.returncode == 0, result.stderr[-3000:]
    card = json.loads((out / "model_card.json").read_text())
    assert card["training"]["command"].startswith("emoscope train fast --on-model")
    assert card["training"]["int8_kernels"] == int8_kernels()
    basic = card["extra"]["basic"]
    assert sorted(map(float, basic["held_out_macro_f1_by_alpha"])) == sorted(FastArguments.basic_alphas)
    assert basic["ridge_alpha"] in FastArguments.basic_alphas
    # 300 EmoBank and up to 300 GoEmotions train texts (the first 300 rows, all drawn), deduplicated
    teacher = basic["teacher"]
    assert 300 < teacher["unlabelled_texts"] == basic["train"]["teacher_labelled"] <= 600
    assert teacher["ridge_alpha"] in FastArguments.teacher_alphas and teacher["folds"] == 5
    assert sorted(map(float, teacher["cv_macro_f1_by_alpha"])) == sorted(FastArguments.teacher_alphas)
    assert "Teacher (all-mpnet-base-v2" in (out / "README.md").read_text()
    assert not (out / "work").exists()  # the teacher's feature cache goes with the work folder
    assert "Emoji" in card["facts"] and {"goemotions/test", "semeval-a/dev", "meld/test", "emobank/test"} <= set(card["metrics"])
    model = EmotionModel.load(out)
    assert model.config.normalize_emoji == "meaning" and set(model.heads) == {"basic", "vad", "intensity"}
    texts = ["I can't believe they cancelled it again.", "ok", "What a lovely surprise, thank you!"]
    together = model.predict_proba(texts)  # static int8: a text scores as it does alone
    alone = np.stack([model.predict_proba([t])[0] for t in texts])
    assert np.abs(together - alone).max() <= 1e-5


@pytest.mark.skipif(not (MELD / "train_sent_emo.csv").is_file(), reason="MELD not found")
def test_train_meld_writes_a_loadable_context_model(cli, tmp_path):
    out = tmp_path / "tiny-dialogue-model"
    result = cli("train", "meld", "--data", MELD, "--out", out, "--epochs", "0.2", "--context-turns", "2",
                 "--max-length", "64", "--max-train-samples", "40", "--max-eval-samples", "15",
                 "--threads", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    card = json.loads((out / "model_card.json").read_text())
    assert card["training"]["command"].startswith("emoscope train meld")
    assert card["extra"]["context_turns"] == 2
    test = card["metrics"]["meld/test"]
    assert 0 <= test["weighted_f1"] <= 1 and 0 <= test["weighted_f1_no_context"] <= 1
    # the ablation: the turn head alone, the GRU given 1, 3, 5 turns on each side, and the model's own 2
    assert sorted(test["ablation"], key=int) == ["0", "1", "2", "3", "5"]
    assert test["ablation"]["2"] == test["weighted_f1"] and test["ablation"]["0"] == test["weighted_f1_no_context"]
    assert test["context_sides"] == "each side" and (out / "context.onnx").is_file()
    assert [r["label"] for r in test["per_class"]] == ["anger", "disgust", "fear", "joy",
                                                       "neutral", "sadness", "surprise"]
    assert "weighted-F1" in (out / "README.md").read_text()

    from emoscope.text.context import ContextEmotionModel

    model = ContextEmotionModel.load(out)
    predicted = model.predict_turns(["a", "b"], ["I won the lottery!", "No way, really?"])
    assert [label in model.labels for label, _ in predicted] == [True, True]
    some = tmp_path / "meld"  # the first 120 dev turns: evaluate reads the written model
    some.mkdir()
    pd.read_csv(MELD / "dev_sent_emo.csv", dtype=str, keep_default_na=False).head(120).to_csv(
        some / "dev_sent_emo.csv", index=False)
    evaluated = cli("evaluate", "--dataset", "meld", "--data", some, "--split", "dev", "--model", out, "--json")
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    printed = json.loads(evaluated.stdout)
    assert printed["context_turns"] == 2 and printed["n_turns"] == 120
    # the confusion matrix (issue 18): rows gold, in per_class order, each row summing to its support
    assert [sum(row) for row in printed["confusion"]] == [r["support"] for r in printed["per_class"]]
    assert sum(map(sum, printed["confusion"])) == 120


# -- train custom ----------------------------------------------------------------------------
TRACK_A = DATASETS / "semeval2025-task11" / "track_a"
EMOBANK = DATASETS / "emobank" / "emobank.csv"


def _slice(source, path, rows):
    lines = source.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines[:rows + 1]) + "\n", encoding="utf-8")
    return path


@pytest.mark.skipif(not EMOBANK.is_file(), reason="EmoBank not found")
def test_train_custom_regression_loads_everywhere(cli, tmp_path):
    data = _slice(EMOBANK, tmp_path / "eb.csv", 300)
    out = tmp_path / "vad"
    result = cli("train", "custom", "--data", data, "--target-columns", "V,A,D", "--split-column", "split",
                 "--out", out, "--epochs", "0.1", "--threads", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    card = json.loads((out / "model_card.json").read_text())
    assert card["extra"]["headline_metric"] == "mean_pearson_r"
    assert card["training"]["command"].startswith("emoscope train custom")
    assert [p["target"] for p in card["metrics"]["dev"]["per_target"]] == ["V", "A", "D"]
    analyzed = cli("analyze", "--model", out, "--json", "What a wonderful day")
    assert analyzed.returncode == 0, analyzed.stderr
    values = json.loads(analyzed.stdout)[0]["values"]
    assert set(values) == {"V", "A", "D"} and all(1.0 < v < 5.0 for v in values.values())  # EmoBank's scale


@pytest.mark.skipif(not (TRACK_A / "train" / "eng.csv").is_file(), reason="SemEval track A not found")
def test_train_custom_single_label_with_eval_data(cli, tmp_path):
    import pandas as pd

    frame = pd.read_csv(TRACK_A / "train" / "eng.csv").head(240)
    emotions = ["anger", "fear", "joy", "sadness", "surprise"]
    frame["feeling"] = frame[emotions].idxmax(axis=1)
    frame.iloc[:200].to_csv(tmp_path / "train.csv", index=False)
    frame.iloc[200:].to_csv(tmp_path / "held.csv", index=False)
    out = tmp_path / "single"
    result = cli("train", "custom", "--data", tmp_path / "train.csv", "--label-column", "feeling",
                 "--eval-data", tmp_path / "held.csv", "--out", out, "--epochs", "0.1", "--threads", "2",
                 "--refit")
    assert result.returncode == 0, result.stderr[-3000:]
    card = json.loads((out / "model_card.json").read_text())
    assert card["labels"] == emotions and card["metrics"]["eval_data"]["n_texts"] == 40
    assert card["facts"]["Refit"] and (out / "checkpoint-refit" / "model.safetensors").is_file()
    evaluated = cli("evaluate", "--dataset", "table", "--data", tmp_path / "held.csv", "--model", out,
                    "--label-column", "feeling", "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    measured = json.loads(evaluated.stdout)
    assert measured["n_texts"] == 40
    assert measured["accuracy"] == pytest.approx(card["metrics"]["eval_data"]["accuracy"], abs=1e-9)
    from emoscope import EmotionModel

    model = EmotionModel.load(out)
    [result] = model.predict(["I am scared"])
    assert len(result.labels) == 1 and abs(sum(result.scores.values()) - 1) < 1e-4  # one label, softmax


def test_train_custom_rejects_unusable_data(cli, tmp_path):
    def check(text, *options, code, needles):
        path = tmp_path / "data.csv"
        path.write_text(text, encoding="utf-8")
        result = cli("train", "custom", "--data", path, "--out", tmp_path / "never", *options)
        assert result.returncode == code, (result.returncode, result.stderr)
        message = " ".join(result.stderr.split())  # the console may wrap long paths
        assert message.startswith("error: ") and all(n in message for n in needles), result.stderr
        assert not (tmp_path / "never").exists()

    check("", "--label-column", "y", code=6, needles=["no rows"])
    check("text,y\n,a\n  ,b\n", "--label-column", "y", code=6, needles=["'text' has no text"])
    check("text,y\nhello,a\nworld,a\n", "--label-column", "y", code=6, needles=["only one class", "'a'"])
    check("text,a,b\nhi,1,0\nho,1,1\n", "--label-columns", "a,b", code=6, needles=["'a' has only one class"])
    check("text,a\nhi,1\nho,maybe\n", "--label-columns", "a", code=6, needles=["row 2", "'maybe'", "0 or 1"])
    check("text,V\nhi,1\nho,high\n", "--target-columns", "V", code=6, needles=["row 2", "not a number"])
    check("text,y\nhi,a\n", "--label-column", "label", code=5, needles=["'label'", "columns are: text, y"])
    missing = cli("train", "custom", "--data", tmp_path / "nope.csv", "--out", tmp_path / "x", "--label-column", "y")
    assert missing.returncode == 3 and "no such file" in missing.stderr
    both = cli("train", "custom", "--data", tmp_path / "data.csv", "--out", tmp_path / "x")
    assert both.returncode == 2 and "exactly one of" in both.stderr
