"""Emoji and emoticons read as words (issue 21): the normaliser, the per-model setting, and the
shipped model reading them (the real model, with the setting switched on in a copy)."""

import json

import numpy as np
import pytest

from emoscope import EmotionModel
from emoscope.persistence import (
    CONFIG_FILE,
    ModelConfig,
    copy_model,
    read_config,
    read_model,
    shipped_model_dir,
    shipped_model_names,
)
from emoscope.text.normalize import EMOTICONS, emoji_to_words

# -- the normaliser --------------------------------------------------------------------------


@pytest.mark.parametrize("text,expected", [
    ("😡", "pouting face"),
    ("😡😡😡", "pouting face pouting face pouting face"),
    ("I love you ❤️", "I love you heavy black heart"),  # the variation selector goes
    ("I love you ❤", "I love you heavy black heart"),
    ("lol😂", "lol face with tears of joy"),
    ("😂 at the back", "face with tears of joy at the back"),
    ("👍🏽", "thumbs up sign"),  # skin tone dropped
    ("👍🏻👍🏿", "thumbs up sign thumbs up sign"),
    ("🤷🏻\u200d♀️ whatever", "shrug whatever"),  # ZWJ sequence: the gender sign goes
    ("👩\u200d💻", "woman personal computer"),  # ZWJ sequence: its parts in order
    ("👨\u200d👩\u200d👧", "man woman girl"),
    ("❤️\u200d🔥", "heavy black heart fire"),
    ("🇫🇷 trip", "flag trip"),  # regional indicator pair
    ("🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", "waving black flag"),  # tags dropped
    ("♀", "female sign"),  # alone, a gender sign is itself
])
def test_emoji_become_their_unicode_names(text, expected):
    assert emoji_to_words(text) == expected


def test_a_run_of_one_emoji_can_be_collapsed():
    assert emoji_to_words("😂😂 😂 lol", collapse=True) == "face with tears of joy lol"
    assert emoji_to_words("😂😭😂", collapse=True) == "face with tears of joy loudly crying face face with tears of joy"
    assert emoji_to_words("😂 ok 😂", collapse=True) == "face with tears of joy ok face with tears of joy"


def test_emoji_and_emoticons_can_be_left_alone_separately():
    assert emoji_to_words("ok 😂 :)", emoticons=False) == "ok face with tears of joy :)"
    assert emoji_to_words("ok 😂 :)", emoji=False) == "ok 😂 slightly smiling face"


def test_the_original_can_be_kept_after_its_words():
    assert emoji_to_words("ok 😂", keep_original=True) == "ok face with tears of joy 😂"
    assert emoji_to_words("ok :)", keep_original=True) == "ok slightly smiling face :)"


@pytest.mark.parametrize("text,expected", [
    ("thanks :)", "thanks slightly smiling face"),
    ("thanks :-)", "thanks slightly smiling face"),
    (":) thanks", "slightly smiling face thanks"),
    ("(: nice", "slightly smiling face nice"),
    ("that was fun :D", "that was fun grinning face"),
    ("hilarious XD", "hilarious smiling face with open mouth and tightly-closed eyes"),
    ("didn't get it :(", "didn't get it slightly frowning face"),
    ("miss you :'(", "miss you crying face"),
    ("hmm :/", "hmm confused face"),
    ("sure ;)", "sure winking face"),
    ("nope :P", "nope face with stuck-out tongue"),
    ("<3 you", "heavy black heart you"),
    ("we broke up </3", "we broke up broken heart"),
    ("no >:(", "no angry face"),
    ("wow :O!", "wow face with open mouth !"),  # punctuation may follow
    ("(like this :P)", "(like this face with stuck-out tongue )"),
    ("yay :)))", "yay slightly smiling face"),  # a repeated mouth
    ("XDDD", "smiling face with open mouth and tightly-closed eyes"),
    ("-_- again", "expressionless face again"),
])
def test_emoticons_become_words(text, expected):
    assert emoji_to_words(text) == expected


@pytest.mark.parametrize("text", [
    "see http://example.com/page and https://x.org/a:b",  # URLs
    "meet at 10:30, or 9:00pm, or 12:30:45",  # times
    "C:/Users/me and D:\\data",  # paths
    "ratio 1:2 and 3:1",
    "Note:Do this; Plan:D",  # colons inside words
    "i<3u and x<3 and a <30 limit",  # comparisons
    "x[:] and f(:, 1)",  # slices
    "the XDR format and an XDcam",
    "great:)",  # glued to a word: left alone rather than risk a false match
    "a plain sentence without any of them.",
    "™ © ⠀⣿ ∑ → ½",  # symbols that are not emoji (trade mark, braille art, maths, arrows)
    "",
])
def test_ordinary_text_is_left_alone(text):
    assert emoji_to_words(text) == text


def test_every_emoticon_of_the_table_is_found_alone():
    for emoticon in EMOTICONS:
        words = emoji_to_words(emoticon)
        assert words != emoticon and words.isascii(), emoticon


# -- the per-model setting -------------------------------------------------------------------


def test_the_setting_is_off_unless_a_config_says_so():
    assert ModelConfig().normalize_emoji is False
    assert "normalize_emoji" not in ModelConfig().to_dict()  # a model without it keeps its file
    config = ModelConfig.from_dict({"normalize_emoji": True})
    assert config.normalize_emoji is True and config.to_dict()["normalize_emoji"] is True
    assert "normalize_emoji" not in config.extra


def test_no_shipped_model_switches_it_on(model):
    """GoEmotions dev chose against it for the default model (docs/models.md, issue 21), so every
    shipped model keeps the scores of tests/test_behaviour.py."""
    for name in shipped_model_names():
        assert read_config(shipped_model_dir(name)).normalize_emoji is False, name
    assert model.normalize is None


@pytest.fixture(scope="module")
def reading_emoji(tmp_path_factory):
    """The shipped default model, copied with ``"normalize_emoji": true`` in its config."""
    files = read_model(shipped_model_dir("multidomain-minilm"))
    files.config.normalize_emoji = True
    directory = copy_model(files, tmp_path_factory.mktemp("emoji") / "multidomain-minilm-emoji")
    assert json.loads((directory / CONFIG_FILE).read_text())["normalize_emoji"] is True
    return EmotionModel.load(directory)


def test_angry_emoji_are_no_longer_neutral(model, reading_emoji):
    before, after = model.predict("😡😡😡"), reading_emoji.predict("😡😡😡")
    assert before.labels == ("neutral",)  # the issue: nothing the tokenizer knows
    assert after.labels != ("neutral",) and set(after.labels) & {"anger", "annoyance"}
    for label in ("anger", "annoyance"):
        assert after.scores[label] > 2 * before.scores[label], label
    assert after.scores["neutral"] < before.scores["neutral"]
    assert after.text == "😡😡😡"  # the result keeps the text as given
    assert "sadness" in reading_emoji.predict("😭😭").labels


def test_a_heart_after_a_sentence_changes_little(reading_emoji):
    with_heart, without = reading_emoji.predict(["I love you ❤️", "I love you"])
    assert with_heart.labels == without.labels == ("love",)
    differences = np.abs(np.array(list(with_heart.scores.values())) - np.array(list(without.scores.values())))
    assert differences.max() < 0.05


def test_texts_without_emoji_score_exactly_as_before(model, reading_emoji):
    texts = ["see you at 10:30", "the report is at http://example.com/a:b", "I am so angry right now", ""]
    np.testing.assert_array_equal(reading_emoji.predict_proba(texts), model.predict_proba(texts))
