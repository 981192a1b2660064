"""The context-aware dialogue turn model (:mod:`emoscope.text.context`)."""

import numpy as np

from emoscope.card import read_model_card
from emoscope.persistence import shipped_model_dir
from emoscope.text.context import ContextEmotionModel, contextual_inputs
from tests.helpers import DATASETS


def test_the_context_models_card_clears_its_bar():
    # measured by 'emoscope evaluate --dataset meld --split test' (reproduced by tests/test_cards.py)
    card = read_model_card(shipped_model_dir("meld-context-minilm"))["metrics"]["meld/test"]
    assert card["n_turns"] == 2610 and card["context_sides"] == "each side"
    assert card["weighted_f1"] >= 0.60
    assert card["weighted_f1"] > card["weighted_f1_no_context"]  # context helps (issue 18 asks for 0.01)
    assert min(sum(column) for column in zip(*card["confusion"])) > 0  # every class is predicted


def test_a_turns_scores_do_not_depend_on_the_turns_batched_beside_it():
    """The dialogue model encodes a dialogue's turns in batches of 32 (static int8): a turn's
    scores are the same when every turn runs alone (1e-5), for turns of mixed lengths."""
    from emoscope import EmotionModel

    batched = ContextEmotionModel.load()
    assert batched.model.config.batch_size == 32
    alone = ContextEmotionModel(EmotionModel.load(batched.directory, batch_size=1))
    texts = ["Oh.", "You lied to me, and you did it again and again, every single time I asked you!",
             "No way!", "I'm scared.", "Whatever you say, Ross, whatever you say, I don't care any more.",
             *[f"Turn number {i} of this rather long test dialogue." for i in range(35)]]
    speakers = ["Ann", "Bob"] * 20
    np.testing.assert_allclose(batched.turn_scores(speakers, texts, 0), alone.turn_scores(speakers, texts, 0),
                               atol=1e-5)
    np.testing.assert_allclose(batched.turn_scores(speakers, texts), alone.turn_scores(speakers, texts), atol=1e-5)


def test_dialogues_batched_together_score_as_each_dialogue_alone():
    """predict_dialogues / dialogue_scores encode the turns of many dialogues in shared batches;
    each turn's scores stay those of its own dialogue read alone (1e-5), for every window, with
    an empty dialogue and an empty turn among them."""
    from emoscope.data.meld import read_meld

    model = ContextEmotionModel.load()
    meld = list(read_meld(DATASETS / "meld", "dev").dialogue_turns())[:16]
    dialogues = [*meld[:6], ([], []), (["Ann", "Bob", "Ann"], ["I can't believe it!", "", "Whatever."]), *meld[6:]]
    assert sum(len(texts) for _, texts in dialogues) > 3 * model.model.config.batch_size
    together = model.dialogue_scores(dialogues)
    for (speakers, texts), scores in zip(dialogues, together, strict=True):
        np.testing.assert_allclose(scores, model.turn_scores(speakers, texts), atol=1e-5)
    for k in (0, 3):
        for (speakers, texts), by_window in zip(dialogues, model.scores_by_context_of(dialogues, [k])):
            np.testing.assert_allclose(by_window[k], model.turn_scores(speakers, texts, k), atol=1e-5)
    assert together[6].shape == (0, len(model.labels))
    assert model.predict_dialogues(dialogues)[7][1] == ("neutral", 1.0)  # the empty turn
    assert [len(p) for p in model.predict_dialogues(dialogues)] == [len(texts) for _, texts in dialogues]


def test_the_turn_emotion_reads_the_turns_around_it():
    model = ContextEmotionModel.load()
    speakers = ["Ann", "Bob", "Ann", "Bob"]
    scores_alone = model.turn_scores(speakers[-1:], ["Okay."])
    quarrel = ["You lied to me again!", "I didn't mean to.", "Get out of my house, now!", "Okay."]
    news = ["We got the apartment!", "No way, really?", "Yes! We move in next week!", "Okay."]
    after_quarrel = model.turn_scores(speakers, quarrel)[-1]
    after_news = model.turn_scores(speakers, news)[-1]
    assert not (after_quarrel == after_news).all() and not (after_quarrel == scores_alone[0]).all()
    # the same words are read differently after a quarrel and after good news
    labels = model.labels
    assert after_quarrel[labels.index("anger")] + after_quarrel[labels.index("sadness")] > \
        after_news[labels.index("anger")] + after_news[labels.index("sadness")]
    assert after_news[labels.index("joy")] > after_quarrel[labels.index("joy")]


def test_context_inputs_put_the_turn_first_then_the_nearest_earlier_turns():
    out = contextual_inputs(["A", "B", "A", "B"], ["hi", "yo \u00e2\u20ac\u2122kay", "bye", "ok"], 2)
    assert out == ["A: hi", "B: yo 'kay [SEP] A: hi", "A: bye [SEP] B: yo 'kay | A: hi",
                   "B: ok [SEP] A: bye | B: yo 'kay"]
    assert contextual_inputs(["A", "B"], ["hi", "yo"], 0) == ["A: hi", "B: yo"]
