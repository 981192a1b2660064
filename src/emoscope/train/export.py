"""ONNX export, graph optimisation and int8 dynamic quantization."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


def export_onnx(model, path: Path, opset: int = 17) -> Path:
    import torch

    from .modeling import OnnxExportWrapper

    model = model.to("cpu").eval()
    wrapper = OnnxExportWrapper(model).eval()
    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]], dtype=torch.long)
    mask = (ids != 0).long()
    with torch.no_grad():
        torch.onnx.export(
            wrapper, (ids, mask), str(path), input_names=["input_ids", "attention_mask"],
            output_names=["logits", "embedding"],
            dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                          "attention_mask": {0: "batch", 1: "sequence"},
                          "logits": {0: "batch"}, "embedding": {0: "batch"}},
            opset_version=opset, dynamo=False, do_constant_folding=True,
        )
    return path


def optimize_onnx(source: Path, target: Path, num_heads: int, hidden_size: int) -> Path:
    """Fuse attention, embeddings, layer norms and GELU for onnxruntime's CPU kernels."""
    from onnxruntime.transformers import optimizer

    optimized = optimizer.optimize_model(str(source), model_type="bert", num_heads=num_heads,
                                         hidden_size=hidden_size)
    log.info("fused operators: %s", optimized.get_fused_operator_statistics())
    optimized.save_model_to_file(str(target))
    return target


def quantize_onnx(source: Path, target: Path) -> Path:
    """Dynamic int8 quantization of weights (activations quantized on the fly)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    return target
