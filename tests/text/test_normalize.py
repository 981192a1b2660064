"""Emoji and emoticons read as words (issue 21): the normaliser (Unicode names), the table of
what emoji mean in GoEmotions, the per-model setting, and the shipped model reading them (the
default model reads texts of emoji alone as meanings; copies of it read nothing, or names)."""

import importlib.util
import json

from pathlib import Path

import numpy as np
import pytest

from emoscope import EmotionModel
from emoscope.errors import ModelLoadError
from emoscope.persistence import (
    CONFIG_FILE,
    ModelConfig,
    copy_model,
    read_config,
    read_model,
    shipped_model_dir,
    shipped_model_names,
)
from emoscope.text.normalize import (
    EMOTICONS,
    emoji_labels,
    HAND_MEANINGS,
    MEANINGS_FILE,
    emoji_meaning,
    emoji_only,
    emoji_only_to_meaning,
    emoji_to_meaning,
    emoji_to_words,
    normalizer,
)
from tests.helpers import DATASETS

REPO = Path(__file__).resolve().parents[2]

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


# -- what emoji mean in GoEmotions -----------------------------------------------------------


def meanings_table():
    return json.loads((REPO / "src" / "emoscope" / "text" / MEANINGS_FILE).read_text(encoding="utf-8"))


def test_the_train_table_gives_common_emoji_the_word_of_their_label():
    table = meanings_table()
    words = set(table["label_words"].values())
    assert table["emoji"] and all(entry["word"] in words for entry in table["emoji"].values())
    for entry in table["emoji"].values():
        assert entry["word"] == table["label_words"][entry["label"]]
        assert entry["texts"] >= table["min_texts"] and entry["labelled"] >= table["min_labelled"]
        assert entry["lift"] >= table["min_lift"]
    expected = {"😂": "lol", "🤣": "lol", "❤": "love", "😍": "love", "😭": "sad", "😢": "sad", ":(": "sad",
                "🙏": "thanks", "👍": "agree"}
    assert {key: table["emoji"][key]["word"] for key in expected} == expected
    assert table["emoji"]["😂"]["label"] == "amusement"  # not joy, as its name says
    assert set(HAND_MEANINGS.values()) <= words  # the hand-written fallback uses the same words


@pytest.mark.skipif(not (DATASETS / "goemotions" / "train.tsv").exists(), reason="GoEmotions not found")
def test_the_train_table_is_what_its_script_makes_from_train(tmp_path):
    spec = importlib.util.spec_from_file_location("emoji_table", REPO / "benchmarks" / "emoji_table.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    table = meanings_table()
    made = script.build(DATASETS / "goemotions", table["min_texts"], table["min_labelled"], table["min_lift"])
    assert json.loads(json.dumps(made, ensure_ascii=False)) == table


@pytest.mark.parametrize("key,word", [
    ("😂", "lol"), (":(", "sad"),  # the train table
    ("😡", "angry"), ("🤬", "angry"), ("😱", "scared"), ("🤮", "gross"), ("🥰", "love"),  # hand-written
    ("😮", "wow"), ("🙄", "ugh"),  # common in train but without a clear label there: hand-written
    (">:(", "angry"),  # an emoticon: as the emoji it stands for (😠, hand-written)
    (":'(", "sad"),  # ... (😢, in the train table)
    ("🤦\u200d♂", "ugh"),  # a ZWJ sequence: its first part
    ("🦀", None), ("flag", None), (":P", None),
])
def test_each_emoji_has_the_word_of_the_train_table_then_the_hand_written_one(key, word):
    assert emoji_meaning(key) == word


@pytest.mark.parametrize("text,kwargs,expected", [
    ("😡😡😡", {}, "angry"),
    ("😡😡😡", {"collapse": False}, "angry angry angry"),
    ("lol 😂😂 ok", {}, "lol lol ok"),
    ("I love you ❤️", {}, "I love you love"),
    ("I love you ❤️", {"append": True}, "I love you ❤️ love"),
    ("😂 wow 😂 😭", {"append": True}, "😂 wow 😂 😭 lol sad"),
    ("🦀 dinner 😋", {}, "🦀 dinner 😋"),  # no word: kept, so the text is unchanged
    ("🦀 dinner 😂", {"fallback": "drop"}, "dinner lol"),
    ("🦀 dinner 😂", {"fallback": "name"}, "crab dinner lol"),
    ("thanks :)))", {}, "thanks thanks"),
    ("great:) 10:30 http://x.org", {}, "great:) 10:30 http://x.org"),
    ("", {}, ""),
])
def test_emoji_to_meaning(text, kwargs, expected):
    assert emoji_to_meaning(text, **kwargs) == expected


@pytest.mark.parametrize("text,alone", [
    ("😡😡😡", True), (":( !!", True), ("❤️ ❤️", True), ("XD", True),
    ("lol 😂", False), ("so angry 😡", False), ("hello", False), ("", False), ("10:30", False),
])
def test_only_texts_of_emoji_alone_are_read_as_meanings(text, alone):
    assert emoji_only(text) is alone
    assert (emoji_only_to_meaning(text) != text) is alone


# -- the per-model setting -------------------------------------------------------------------


def test_the_setting_is_off_unless_a_config_says_so():
    assert ModelConfig().normalize_emoji is False
    assert "normalize_emoji" not in ModelConfig().to_dict()  # a model without it keeps its file
    config = ModelConfig.from_dict({"normalize_emoji": True})
    assert config.normalize_emoji is True and config.to_dict()["normalize_emoji"] is True
    assert "normalize_emoji" not in config.extra
    assert ModelConfig.from_dict({"normalize_emoji": "meaning"}).to_dict()["normalize_emoji"] == "meaning"
    assert normalizer(False) is None
    assert normalizer(True) is normalizer("names") is emoji_to_words
    assert normalizer("meaning") is emoji_only_to_meaning
    with pytest.raises(ModelLoadError, match="normalize_emoji"):
        ModelConfig.from_dict({"normalize_emoji": "emoji"})


def test_only_the_default_model_reads_emoji_and_only_texts_of_emoji_alone(model):
    """GoEmotions dev chose it for the default model (docs/models.md, issue 21): reading emoji
    beside words lowered dev, reading texts of emoji alone changes no dev or test text."""
    for name in shipped_model_names():
        expected = "meaning" if name == "multidomain-minilm" else False
        assert read_config(shipped_model_dir(name)).normalize_emoji == expected, name
    assert model.name == "multidomain-minilm" and model.normalize is emoji_only_to_meaning


def _copy_reading(tmp_path_factory, setting, emoji_weights=False):
    """The shipped default model copied with ``normalize_emoji`` set to ``setting``, without its
    offsets for emoji beside words unless ``emoji_weights``."""
    files = read_model(shipped_model_dir("multidomain-minilm"))
    files.config.normalize_emoji = setting
    files.emoji_weights = files.emoji_weights if emoji_weights else None
    directory = copy_model(files, tmp_path_factory.mktemp("emoji") / f"multidomain-minilm-{setting}")
    assert json.loads((directory / CONFIG_FILE).read_text()).get("normalize_emoji", False) == setting
    return EmotionModel.load(directory)


@pytest.fixture(scope="module")
def reading_nothing(tmp_path_factory):
    """The shipped default model, copied with ``"normalize_emoji": false`` (before issue 21)."""
    return _copy_reading(tmp_path_factory, False)


@pytest.fixture(scope="module")
def reading_names(tmp_path_factory):
    """The shipped default model, copied with ``"normalize_emoji": true`` (Unicode names)."""
    return _copy_reading(tmp_path_factory, True)


def test_angry_emoji_are_no_longer_neutral(model, reading_nothing):
    before, after = reading_nothing.predict("😡😡😡"), model.predict("😡😡😡")
    assert before.labels == ("neutral",)  # the issue: nothing the tokenizer knows
    assert after.labels != ("neutral",) and set(after.labels) & {"anger", "annoyance"}
    for label in ("anger", "annoyance"):
        assert after.scores[label] > 2 * before.scores[label], label
    assert after.scores["neutral"] < before.scores["neutral"]
    assert after.text == "😡😡😡"  # the result keeps the text as given
    assert "sadness" in model.predict("😭😭").labels
    assert "amusement" in model.predict("😂😂😂").labels
    assert "love" in model.predict("❤️❤️").labels


def test_texts_without_emoji_score_as_before(model, reading_nothing):
    texts = ["see you at 10:30", "the report is at http://example.com/a:b", "I am so angry right now",
             "great:)", "C:/Users", ""]
    np.testing.assert_array_equal(model.predict_proba(texts), reading_nothing.predict_proba(texts))


def test_emoji_beside_words_move_only_the_labels_they_mean(model, reading_nothing):
    """Each label an emoji means gets its offset on the logit (emoji_weights.json); every other
    label of the text keeps its score."""
    labels = model.labels
    texts = ["my train got cancelled again 😡", "stuck in traffic for two hours 😤", "lol 😂",
             "I love you ❤️", "thanks :)", "that smell 🤮", "sorry I forgot your birthday 😔"]
    after, before = model.predict_proba(texts), reading_nothing.predict_proba(texts)
    logit = lambda p: np.log(p) - np.log1p(-p)  # noqa: E731
    for text, row_after, row_before in zip(texts, after, before):
        meant = emoji_labels(text)
        assert meant, text
        for j, label in enumerate(labels):
            if label in meant:
                expected = logit(row_before[j]) + model.emoji_weights[j]
                assert logit(row_after[j]) == pytest.approx(expected, abs=1e-3), (text, label)
            else:
                assert row_after[j] == row_before[j], (text, label)
    angry = dict(zip(labels, after[0]))
    assert angry["anger"] > 1.5 * dict(zip(labels, before[0]))["anger"]
    # labels the words alone did not give (benchmarks/emoji.py, the hand-written set); "that smell"
    # reads as disgust without its emoji since the encoder fine-tuned with positive weights
    for text, label in zip(texts[1:], ("annoyance", None, None, None, None, "sadness")):
        if label:
            assert label in model.predict(text).labels and label not in reading_nothing.predict(text).labels
    assert "disgust" in model.predict("that smell 🤮").labels


def test_emoji_labels_come_from_the_meaning_tables():
    assert emoji_labels("my train got cancelled again 😡") == {"anger"}
    assert emoji_labels("lol 😂 :(") == {"amusement", "sadness"}
    assert emoji_labels("a 🚗 and a flag 🇫🇷") == set()  # no meaning, no label
    assert emoji_labels("see you at 10:30") == set()


def test_the_shipped_offsets_are_what_train_emoji_fits_on_train(model, reading_nothing, goemotions_dir):
    """``emoscope train emoji`` on GoEmotions train (penalty by 5-fold CV) gives the shipped
    ``emoji_weights.json`` and its card's numbers; dev and test play no part in it."""
    from emoscope.card import ModelCard
    from emoscope.data.goemotions import read_goemotions
    from emoscope.train.emoji import choose_penalty, emoji_rows, fit_emoji_offsets

    train = read_goemotions(goemotions_dir, "train")
    rows, meanings = emoji_rows(model, train.texts)
    record = ModelCard.load(model.directory).extra["emoji"]
    assert len(rows) == record["texts"]["train"] > 1000
    # these texts are not emoji alone, so the copy that reads nothing scores them as the model
    # does before its offsets
    unshifted = reading_nothing.predict_proba([train.texts[i] for i in rows])
    gold = train.targets[rows].astype(bool)
    penalty, losses = choose_penalty(unshifted, meanings, gold)
    weights, _ = fit_emoji_offsets(unshifted, meanings, gold, penalty)
    np.testing.assert_allclose(weights, model.emoji_weights, atol=2e-3)
    # the offsets are chosen over none by cross-validation on train; dev and test only report (on
    # the encoder fine-tuned with positive weights, dev macro-F1 on these texts moved 0.5677 -> 0.5668)
    assert penalty == record["penalty"] and losses[penalty] < losses["none"]
    assert set(record["dev"]) == set(record["test"]) == {"before", "after"}


def test_names_still_read_every_emoji(model, reading_names, reading_nothing):
    after, before = reading_names.predict("😡😡😡"), reading_nothing.predict("😡😡😡")
    # the Unicode names ("pouting face") raise anger and annoyance; since the encoder fine-tuned with
    # positive weights (2026-12-01) not past their thresholds: the shipped mode reads meanings
    # ("angry", test_angry_emoji_are_no_longer_neutral)
    assert after.scores["annoyance"] > 3 * before.scores["annoyance"] and after.scores["anger"] > before.scores["anger"]
    assert "sadness" in reading_names.predict("😭😭").labels
    with_heart, without = reading_names.predict(["I love you ❤️", "I love you"])
    assert with_heart.labels == without.labels == ("love",)
    differences = np.abs(np.array(list(with_heart.scores.values())) - np.array(list(without.scores.values())))
    assert differences.max() < 0.05
    texts = ["see you at 10:30", "the report is at http://example.com/a:b", "I am so angry right now", ""]
    np.testing.assert_array_equal(reading_names.predict_proba(texts), model.predict_proba(texts))
