"""The accurate tier: its own installable package inside the repository, found by name, with the
default model's result type and outputs."""

import numpy as np
import pytest

from emoscope import EmotionModel, EmotionResult
from emoscope import model_dirs, persistence
from emoscope.errors import ModelLoadError
from tests.helpers import assert_clean_error, run_cli

INSTALLED = persistence.installed_model_dir("emoscope-accurate") is not None
needs_package = pytest.mark.skipif(not INSTALLED, reason="pip install ./models/emoscope-accurate")


@pytest.fixture(scope="module")
def accurate():
    return EmotionModel.load("accurate")


@needs_package
def test_it_is_found_by_name_and_answers_like_the_default_model(accurate, model):
    assert accurate.name == "emoscope-accurate" and accurate.labels == model.labels
    assert set(accurate.heads) == set(model.heads) == {"basic", "vad", "intensity"}
    text = "I can't believe they cancelled it again, I'm furious."
    result = accurate.predict(text)
    assert isinstance(result, EmotionResult) and result.labels and result.vad is not None
    assert "anger" in result.rollup("ekman").labels and result.intensity["anger"] > result.intensity["joy"]
    assert set(result.to_dict()) == set(model.predict(text).to_dict())
    size = sum(f.stat().st_size for f in accurate.directory.rglob("*") if f.is_file())
    assert size <= 120e6


@needs_package
def test_labels_are_the_default_models_and_heads_come_from_the_larger_encoder(accurate, model):
    texts = ["Thank you so much, you made my day!", "I miss her every single day.", ""]
    np.testing.assert_array_equal(accurate.predict_proba(texts), model.predict_proba(texts))
    assert accurate.heads_encoder is not accurate.encoder  # config heads_file: a second graph
    heads = accurate.predict_heads(texts)
    output = accurate.heads_encoder.run(texts[:2], "embedding", ["basic", "intensity"])
    np.testing.assert_allclose(heads["intensity"][:2], np.clip(output.extra["intensity"], 0, 3), atol=1e-5)
    np.testing.assert_allclose(heads["basic"][:2], 1 / (1 + np.exp(-output.extra["basic"])), atol=1e-5)
    assert not np.allclose(heads["intensity"][:2], model.predict_heads(texts[:2])["intensity"], atol=0.01)
    assert heads["vad"][2].tolist() == [3.0, 3.0, 3.0]  # an empty text is neutral


@needs_package
def test_batches_do_not_couple_texts(accurate):
    texts = ["ok", "", "What a lovely surprise, thank you!", "I am so furious right now!!! " * 10, "Why?"]
    together, heads = accurate.predict_proba(texts), accurate.predict_heads(texts)
    for i, text in enumerate(texts):
        np.testing.assert_allclose(accurate.predict_proba([text])[0], together[i], atol=1e-5, rtol=0)
        for name, values in accurate.predict_heads([text]).items():
            np.testing.assert_allclose(values[0], heads[name][i], atol=1e-5, rtol=0, err_msg=name)


@needs_package
def test_bad_input_behaves_as_for_the_default_model(accurate, model, tmp_path):
    """Issue 17: an empty text, a text of 100,000 characters and undecodable bytes."""
    empty = accurate.predict("")
    assert empty.empty and empty.labels == ("neutral",) and empty.rollup("ekman").labels == ("neutral",)
    assert set(empty.to_dict()) == set(model.predict("").to_dict())
    text = ("We took the early train to the coast and walked for hours along the cliffs. " * 1400)[:99_950]
    text += " Thank you all!"
    assert len(text) == 99_965
    long, default = accurate.predict(text), model.predict(text)
    assert long.windows > 100 and long.windows == default.windows  # both graphs read it in windows
    assert long.labels == default.labels  # the labels are the default model's
    assert long.vad is not None and all(1.0 <= v <= 5.0 for v in long.vad.to_dict().values())
    source = tmp_path / "latin1.csv"
    source.write_bytes("id,text\n1,fine\n2,caf\xe9 au lait\n".encode("latin-1"))
    assert_clean_error(run_cli("analyze", "--model", "accurate", "--input", source, "--text-column", "text"), 6,
                       "latin1.csv:3:", "not valid UTF-8")


@needs_package
def test_the_cli_takes_it_by_name():
    result = run_cli("analyze", "--model", "accurate", "--json", "What a wonderful day!")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "joy" in result.stdout


def test_without_the_package_loading_it_names_the_install_command(monkeypatch):
    monkeypatch.setattr(model_dirs, "installed_model_dir", lambda name: None)
    with pytest.raises(ModelLoadError, match=r"not installed: pip install \./models/emoscope-accurate") as error:
        EmotionModel.load("accurate")
    assert error.value.exit_code == 7
