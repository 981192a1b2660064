"""Static int8 graphs as ``emoscope train fast`` and ``train encoder`` build them
(:mod:`emoscope.train.export`): the integer matrix products fused with their rescaling."""

import collections

import numpy as np
import pytest

from tests.helpers import DATASETS

GOEMOTIONS = DATASETS / "goemotions"


@pytest.mark.skipif(not (GOEMOTIONS / "train.tsv").is_file(), reason="needs GoEmotions")
def test_static_int8_graphs_fuse_each_integer_matmul_and_give_the_same_scores(tmp_path):
    pytest.importorskip("torch")
    import onnx
    import onnxruntime as ort

    from emoscope.train.export import calibration_feeds, export_sentence_encoder, freeze_activation_scales
    from emoscope.train.trainer import default_base_model

    base = default_base_model()
    _, dynamic = export_sentence_encoder(base, tmp_path / "work")
    texts = [line.split("\t")[0] for line in open(GOEMOTIONS / "train.tsv", encoding="utf-8")][:200]

    def feeds(some):
        return calibration_feeds(base / "tokenizer.json", some, 128)

    fused = freeze_activation_scales(dynamic, tmp_path / "fused.onnx", feeds(texts[:40]))
    plain = freeze_activation_scales(dynamic, tmp_path / "plain.onnx", feeds(texts[:40]), fuse=False)
    ops = {path.stem: collections.Counter(n.op_type for n in onnx.load(str(path)).graph.node) for path in (fused, plain)}
    assert ops["plain"]["MatMulInteger"] == 18 and ops["fused"]["MatMulIntegerToFloat"] == 18
    assert ops["fused"]["MatMulInteger"] == 0 and ops["fused"]["Cast"] == ops["plain"]["Cast"] - 18
    sessions = [ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]) for path in (fused, plain)]
    for feed in feeds(texts[40:]):
        a, b = (session.run(["embedding"], feed)[0] for session in sessions)
        np.testing.assert_allclose(a, b, atol=1e-6, rtol=0)
