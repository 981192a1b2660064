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


def export_checkpoint(model, checkpoint: Path, work: Path) -> tuple[Path, Path]:
    """Export a fine-tuned model (config read from its checkpoint folder) to an optimised fp32
    graph and its int8 quantization in ``work``; returns (fp32, int8)."""
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(checkpoint)
    raw = export_onnx(model, work / "model_raw.onnx")
    fp32 = optimize_onnx(raw, work / "model_fp32.onnx", config.num_attention_heads, config.hidden_size)
    return fp32, quantize_onnx(fp32, work / "model_int8.onnx")


def export_sentence_encoder(base: Path, out_dir: Path, name: str) -> dict:
    """Export the base sentence-transformers encoder (mean pooling, L2-normalised output
    ``embedding``) to an optimised int8 ONNX model directory, for zero-shot labels."""
    import json
    import shutil

    import torch
    from transformers import AutoConfig, BertModel

    class MeanPooled(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return torch.nn.functional.normalize(pooled, dim=-1)

    base, out_dir = Path(base), Path(out_dir)
    work = out_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    config = AutoConfig.from_pretrained(base)
    config._attn_implementation = "eager"
    bert = BertModel.from_pretrained(base, config=config, add_pooling_layer=False).eval()
    wrapper = MeanPooled(bert).eval()
    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]], dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(wrapper, (ids, (ids != 0).long()), str(work / "raw.onnx"),
                          input_names=["input_ids", "attention_mask"], output_names=["embedding"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                                        "attention_mask": {0: "batch", 1: "sequence"},
                                        "embedding": {0: "batch"}},
                          opset_version=17, dynamo=False, do_constant_folding=True)
    fp32 = optimize_onnx(work / "raw.onnx", work / "fp32.onnx", config.num_attention_heads,
                         config.hidden_size)
    int8 = quantize_onnx(fp32, work / "int8.onnx")
    shutil.copyfile(int8, out_dir / "model.onnx")
    shutil.copyfile(base / "tokenizer.json", out_dir / "tokenizer.json")
    settings = {"format_version": 1, "task": "sentence-embedding", "name": name,
                "onnx_file": "model.onnx", "tokenizer_file": "tokenizer.json", "max_tokens": 128,
                "stride": 96, "batch_size": 1, "quantized": True,
                "base_model": "sentence-transformers/all-MiniLM-L6-v2"}
    (out_dir / "config.json").write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    sizes = {"fp32_onnx_mb": round(fp32.stat().st_size / 1e6, 1), "int8_onnx_mb": round(int8.stat().st_size / 1e6, 1)}
    shutil.rmtree(work)  # intermediate graphs; only the int8 one is kept
    return sizes
