"""The shipped multilingual model (SemEval 2025 track A, 28 languages) and how it was built."""

import json

import numpy as np
import pytest

from tests.helpers import run_cli

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
    languages = card["metrics"]["semeval-a/dev"]["languages"]
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
