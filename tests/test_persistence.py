"""The model-directory format has one owner, and every model kind saves and loads through it."""

import importlib.util
import json

import numpy as np
import pytest

from emoscope import ContextEmotionModel, EmotionModel, ZeroShotClassifier
from emoscope.card import ModelCard
from emoscope.errors import ModelLoadError
from emoscope.persistence import (CONFIG_FILE, ModelConfig, Task, read_config, read_model, resolve_model_dir,
                                  shipped_model_dir, shipped_model_names, write_model)
from emoscope.protocol import EmotionPredictor, Prediction

SHIPPED = ["face-ferplus", "meld-context-minilm", "minilm-embed", "multidomain-minilm", "semeval-multilingual-e5",
           "speech-whisper-tiny"]
TEXTS = ["Thank you so much, you made my day!", "This is the worst service ever.", ""]


def test_every_shipped_config_reads_and_writes_back_the_same_settings():
    assert shipped_model_names() == SHIPPED
    for name in SHIPPED:
        raw = json.loads((shipped_model_dir(name) / CONFIG_FILE).read_text())
        config = read_config(shipped_model_dir(name))
        assert ModelConfig.from_dict(config.to_dict()) == config
        written = config.to_dict()
        for key, value in raw.items():  # every stored setting survives (defaults may be left out)
            assert written.get(key, getattr(ModelConfig(), key, None)) == value, (name, key)


def test_a_model_written_by_save_pretrained_reads_back_whole(model, tmp_path):
    saved = model.save_pretrained(tmp_path / "copy")
    original, copy = read_model(model.directory), read_model(saved)
    assert copy.config == original.config and copy.labels == original.labels
    np.testing.assert_array_equal(copy.thresholds, original.thresholds)
    np.testing.assert_array_equal(copy.calibration[0], original.calibration[0])
    np.testing.assert_array_equal(copy.lexical.coef, original.lexical.coef)
    assert sorted(copy.head_lexical) == sorted(original.head_lexical) == ["vad"]  # the VAD head's TF-IDF
    np.testing.assert_array_equal(copy.head_lexical["vad"].coef, original.head_lexical["vad"].coef)
    again = EmotionModel.load(saved)
    np.testing.assert_array_equal(again.predict_proba(TEXTS), model.predict_proba(TEXTS))
    for name, values in model.predict_heads(TEXTS).items():
        np.testing.assert_array_equal(again.predict_heads(TEXTS)[name], values)
    assert ModelCard.load(saved).metrics == ModelCard.load(model.directory).metrics
    assert (saved / "README.md").read_text() == (model.directory / "README.md").read_text()


def test_a_multilingual_model_saves_with_its_language_heads(tmp_path):
    """``save_pretrained`` of a model with per-language TF-IDF heads (and a language identifier)
    writes them back as read: the same scores in every language (it raised AttributeError before:
    a head read back lacked the document count its compact form stores)."""
    multilingual = EmotionModel.load("semeval-multilingual-e5")
    again = EmotionModel.load(multilingual.save_pretrained(tmp_path / "copy"))
    original, copy = read_model(multilingual.directory), read_model(again.directory)
    assert sorted(copy.language_lexical) == sorted(original.language_lexical)
    assert (copy.language_id is None) == (original.language_id is None)
    texts = ["Ich bin so wütend auf dich!", "Я так счастлив сегодня.", ""]
    for language in ("deu", "rus", "vmw"):
        np.testing.assert_array_equal(again.for_language(language).predict_proba(texts),
                                      multilingual.for_language(language).predict_proba(texts))


def test_thresholds_set_in_python_are_saved(model, tmp_path):
    changed = EmotionModel.load()
    changed.thresholds = np.full(len(changed.labels), 0.33, dtype=np.float32)
    np.testing.assert_array_equal(EmotionModel.load(changed.save_pretrained(tmp_path / "t")).thresholds,
                                  changed.thresholds)


def test_a_head_whose_tfidf_regression_is_missing_or_misshapen_is_named(model, tmp_path):
    import shutil

    from emoscope.persistence import HEAD_LEXICAL_DIR

    saved = model.save_pretrained(tmp_path / "copy")
    config = json.loads((saved / CONFIG_FILE).read_text())
    config["heads"]["vad"]["encoder_weights"] = [0.5, 0.5]  # two weights for three targets
    (saved / CONFIG_FILE).write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="'vad' head's TF-IDF regression or encoder weights"):
        read_model(saved)
    shutil.rmtree(saved / HEAD_LEXICAL_DIR)
    with pytest.raises(ModelLoadError, match="cannot read the TF-IDF head of head 'vad'"):
        EmotionModel.load(saved)
    files = read_model(model.directory)
    with pytest.raises(ValueError, match="head_lexical must hold"):  # and the writer refuses to drop it
        write_model(tmp_path / "w", files.config, files.labels, graph=files.graph, tokenizer=files.tokenizer,
                    thresholds=files.thresholds)


def test_a_model_whose_heads_come_from_a_second_graph(model, tmp_path):
    """``config.heads_file``: every head read from a second graph (the accurate tier's layout),
    here a copy of the model's own graph, so the heads must come out exactly as the model's."""
    import shutil

    files = read_model(model.directory)
    source = tmp_path / "source"
    source.mkdir()
    shutil.copyfile(files.graph, source / "heads.onnx")
    shutil.copyfile(files.tokenizer, source / "heads_tokenizer.json")
    config = ModelConfig.from_dict({**files.config.to_dict(), "heads_file": "heads.onnx",
                                    "heads_tokenizer_file": "heads_tokenizer.json"})
    written = write_model(tmp_path / "two", config, files.labels, graph=files.graph, tokenizer=files.tokenizer,
                          thresholds=files.thresholds, lexical=files.lexical, calibration=files.calibration,
                          emoji_weights=files.emoji_weights, head_lexical=files.head_lexical,
                          heads_graph=(source / "heads.onnx", source / "heads_tokenizer.json"))
    two = EmotionModel.load(written)
    assert two.heads_encoder is not two.encoder
    texts = ["I can't believe it, this is wonderful!", "", "Leave me alone. " * 60]
    for name, values in model.predict_heads(texts).items():
        np.testing.assert_allclose(two.predict_heads(texts)[name], values, atol=1e-6, err_msg=name)
    np.testing.assert_array_equal(two.predict_proba(texts), model.predict_proba(texts))
    copy = read_model(EmotionModel.load(written).save_pretrained(tmp_path / "copy"))  # saved whole
    assert copy.heads_graph is not None and all(path.is_file() for path in copy.heads_graph)
    (written / "heads.onnx").unlink()
    with pytest.raises(ModelLoadError, match="no heads.onnx, which its config.json names"):
        read_model(written)


def test_a_labels_head_from_the_second_graph_is_blended_with_the_label_scores(model, tmp_path):
    """``config.labels_head`` (the accurate tier's blend of two encoders' labels), here the model's
    own graph read again as the second graph, so its labels head is the encoder's own scores:
    before calibration, ``(1 - u) * blend + u * encoder``, long texts' windows combined alike."""
    import shutil

    files = read_model(model.directory)
    source = tmp_path / "source"
    source.mkdir()
    shutil.copyfile(files.graph, source / "heads.onnx")
    shutil.copyfile(files.tokenizer, source / "heads_tokenizer.json")
    head = {"output": "logits", "targets": files.labels, "range": [0.0, 1.0], "windows": "labels",
            "activation": "sigmoid"}
    settings = {**files.config.to_dict(), "heads_file": "heads.onnx", "heads_tokenizer_file": "heads_tokenizer.json",
                "labels_head": "labels", "labels_head_weight": 0.3}
    settings["heads"] = {**settings["heads"], "labels": head}
    written = write_model(tmp_path / "two", ModelConfig.from_dict(settings), files.labels, graph=files.graph,
                          tokenizer=files.tokenizer, thresholds=files.thresholds, lexical=files.lexical,
                          calibration=files.calibration, emoji_weights=files.emoji_weights,
                          head_lexical=files.head_lexical,
                          heads_graph=(source / "heads.onnx", source / "heads_tokenizer.json"))
    two = EmotionModel.load(written)
    assert read_config(written).labels_head_weight == 0.3
    texts = ["I can't believe it, this is wonderful!", "", "Leave me alone. " * 60, "thanks a lot 🙏"]
    parts = model.component_scores(texts)
    expected = 0.7 * model.blend(parts, calibrated=False) + 0.3 * parts.encoder
    expected[parts.empty] = two.blend(two.component_scores(texts), calibrated=False)[parts.empty]
    np.testing.assert_allclose(two.blend(two.component_scores(texts), calibrated=False), expected, atol=1e-6)
    assert not np.allclose(two.predict_proba(texts), model.predict_proba(texts), atol=1e-3)
    settings["labels_head"] = "vad"  # three targets, not the labels
    (written / CONFIG_FILE).write_text(json.dumps(settings))
    with pytest.raises(ModelLoadError, match="labels_head 'vad' must name a sigmoid head"):
        EmotionModel.load(written)


def test_errors_name_the_problem(tmp_path):
    (tmp_path / CONFIG_FILE).write_text(json.dumps({"task": "telepathy"}))
    with pytest.raises(ModelLoadError, match="unknown task 'telepathy'"):
        read_config(tmp_path)
    with pytest.raises(ModelLoadError, match="SentenceEncoder"):
        EmotionModel.load("minilm-embed")
    with pytest.raises(ModelLoadError, match="not a dialogue context model"):
        ContextEmotionModel.load("multidomain-minilm")
    assert resolve_model_dir(None, "multidomain-minilm") == shipped_model_dir("multidomain-minilm")
    assert resolve_model_dir("goemotions-minilm", "x") == shipped_model_dir("multidomain-minilm")  # old name
    assert resolve_model_dir(tmp_path, "multidomain-minilm") == tmp_path


def test_every_model_kind_follows_the_protocol(model, tmp_path):
    context = ContextEmotionModel.load()
    zero_shot = ZeroShotClassifier(["joy", "anger", "nostalgia"])
    for kind in (model, context, zero_shot):
        assert isinstance(kind, EmotionPredictor)
    if importlib.util.find_spec("soundfile"):  # the speech kind follows the same protocol
        from emoscope import SpeechEmotionModel

        speech = SpeechEmotionModel.load()
        assert isinstance(speech, EmotionPredictor)
        assert isinstance(speech.predict((np.zeros(16_000, dtype=np.float32), 16_000)), Prediction)
    assert isinstance(model.predict(TEXTS[0]), Prediction)
    turns = context.predict([("Ann", "I got the job!"), ("Bob", "That's amazing, congratulations!")])
    assert len(turns) == 2 and all(isinstance(t, Prediction) and len(t.labels) == 1 for t in turns)
    assert turns[0].labels[0] == max(turns[0].scores, key=turns[0].scores.get)

    again = ContextEmotionModel.load(context.save_pretrained(tmp_path / "context"))
    assert again.context_turns == context.context_turns
    np.testing.assert_array_equal(again.turn_scores(["a", "b"], ["hi", "go away"]),
                                  context.turn_scores(["a", "b"], ["hi", "go away"]))

    saved = zero_shot.save_pretrained(tmp_path / "zero-shot")
    assert read_config(saved).task == Task.ZERO_SHOT
    reloaded = ZeroShotClassifier.load(saved)
    assert reloaded.labels == zero_shot.labels and reloaded.descriptions == zero_shot.descriptions
    np.testing.assert_array_equal(reloaded.predict_proba(TEXTS), zero_shot.predict_proba(TEXTS))
    with pytest.raises(ModelLoadError, match="zero-shot"):
        ZeroShotClassifier.load("multidomain-minilm")
