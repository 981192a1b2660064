"""ONNX export, graph optimisation and int8 dynamic quantization."""

from __future__ import annotations

import contextlib
import logging
import warnings
from pathlib import Path
from typing import Iterable, Optional

log = logging.getLogger(__name__)
LAYERS_OUTPUT = "layers"  # every hidden state mean-pooled and concatenated
NBITS_BLOCK = 32  # weights per 4-bit block (Q4_0's block length)


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
            output_names=wrapper.output_names,
            dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                          "attention_mask": {0: "batch", 1: "sequence"},
                          **{name: {0: "batch"} for name in wrapper.output_names}},
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


@contextlib.contextmanager
def _quiet_root_logger():
    """quantize_dynamic logs a root line per tensor it skips, which shows once something (the
    4-bit quantizer's module does, on import) has configured the root logger."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.ERROR))
    try:
        yield
    finally:
        root.setLevel(level)


def quantize_onnx(source: Path, target: Path, op_types: Optional[list[str]] = None) -> Path:
    """Dynamic int8 quantization of weights (activations quantized on the fly); ``op_types``
    limits it to those operators (default: every one onnxruntime can quantize)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _quiet_root_logger():
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, op_types_to_quantize=op_types,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    return target


def freeze_activation_scales(source: Path, target: Path, feeds: Iterable[dict], percentile: float = 99.9,
                             *, fuse: bool = True) -> Path:
    """Static int8 from a dynamically quantized graph: each ``DynamicQuantizeLinear`` (which picks
    an activation scale from the values of the run, so from every text in the batch) becomes a
    ``QuantizeLinear`` with a constant scale and zero point, calibrated on ``feeds`` (graph inputs
    of training texts, one text each): the range is the ``percentile`` of the texts' minima and
    maxima.  The integer kernels stay those of the dynamic graph (``QAttention``, and
    ``MatMulInteger`` fused with its rescaling, :func:`fuse_integer_matmuls`), so it runs as fast,
    and a text's scores no longer depend on its batch."""
    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx import helper, numpy_helper

    graph = onnx.load(str(source))
    dynamic = [n for n in graph.graph.node if n.op_type == "DynamicQuantizeLinear"]
    probe = onnx.load(str(source))
    for node in dynamic:
        probe.graph.output.append(helper.make_tensor_value_info(node.input[0], onnx.TensorProto.FLOAT, None))
    session = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [node.input[0] for node in dynamic]
    low, high = {n: [] for n in names}, {n: [] for n in names}
    for feed in feeds:
        for name, values in zip(names, session.run(names, feed)):
            low[name].append(float(values.min()))
            high[name].append(float(values.max()))
    nodes = []
    for node in graph.graph.node:
        if node.op_type != "DynamicQuantizeLinear":
            nodes.append(node)
            continue
        x = node.input[0]
        lo = min(float(np.percentile(low[x], 100.0 - percentile)), 0.0)
        hi = max(float(np.percentile(high[x], percentile)), 0.0)
        scale = (hi - lo) / 255.0 or 1.0  # uint8, asymmetric, as DynamicQuantizeLinear
        quantized, scale_name, zero_name = node.output
        graph.graph.initializer.extend([numpy_helper.from_array(np.array(scale, np.float32), scale_name),
                                        numpy_helper.from_array(np.array(round(-lo / scale), np.uint8), zero_name)])
        nodes.append(helper.make_node("QuantizeLinear", [x, scale_name, zero_name], [quantized], name=node.name + "_static"))
    del graph.graph.node[:]
    graph.graph.node.extend(nodes)
    onnx.save(fuse_integer_matmuls(graph) if fuse else graph, str(target))
    return target


def fuse_integer_matmuls(graph):
    """``MatMulInteger → Cast → Mul(scale product)`` as one ``com.microsoft.MatMulIntegerToFloat``
    with the same scales and zero points: onnxruntime fuses that chain only behind a
    ``DynamicQuantizeLinear``, so after :func:`freeze_activation_scales` it ran as three kernels and an
    int32 tensor per matrix product (the fused graph gives the same scores and is about 7% faster)."""
    from onnx import helper

    nodes = list(graph.graph.node)  # held, so each node keeps its identity (the keys below)
    producers = {out: node for node in nodes for out in node.output}
    consumers: dict = {}
    for node in nodes:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    initializers = {init.name for init in graph.graph.initializer}
    fused, dropped = {}, set()
    for node in nodes:
        if node.op_type != "MatMulInteger" or len(consumers.get(node.output[0], [])) != 1:
            continue
        cast = consumers[node.output[0]][0]
        if cast.op_type != "Cast" or len(consumers.get(cast.output[0], [])) != 1:
            continue
        mul = consumers[cast.output[0]][0]
        product = producers.get(next((i for i in mul.input if i != cast.output[0]), ""))
        if (mul.op_type != "Mul" or product is None or product.op_type != "Mul"
                or not all(i in initializers for i in product.input)
                or len(consumers.get(product.output[0], [])) != 1):
            continue
        a_scale, b_scale = product.input
        fused[id(node)] = helper.make_node(
            "MatMulIntegerToFloat", [node.input[0], node.input[1], a_scale, b_scale, *node.input[2:4]],
            [mul.output[0]], name=node.name + "_to_float", domain="com.microsoft")
        dropped.update(id(n) for n in (cast, mul, product))
    kept = [fused.get(id(n), n) for n in nodes if id(n) not in dropped]
    del graph.graph.node[:]
    graph.graph.node.extend(kept)
    if fused and not any(o.domain == "com.microsoft" for o in graph.opset_import):
        graph.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return graph


def calibration_feeds(tokenizer: Path, texts: Iterable[str], max_tokens: int):
    """One graph input per calibration text (its first window), as the runtime frames it: the
    ``feeds`` of :func:`freeze_activation_scales`."""
    import numpy as np
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer))
    tok.no_truncation()
    tok.no_padding()
    start, end = tok.encode("", add_special_tokens=True).ids
    for encoding in tok.encode_batch(list(texts), add_special_tokens=False):
        ids = np.array([[start, *encoding.ids[:max_tokens - 2], end]], dtype=np.int64)
        yield {"input_ids": ids, "attention_mask": np.ones_like(ids)}


def export_checkpoint(model, checkpoint: Path, work: Path) -> tuple[Path, Path]:
    """Export a fine-tuned model (config read from its checkpoint folder) to an optimised fp32
    graph and its int8 quantization in ``work``; returns (fp32, int8)."""
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(checkpoint)
    raw = export_onnx(model, work / "model_raw.onnx")
    fp32 = optimize_onnx(raw, work / "model_fp32.onnx", config.num_attention_heads, config.hidden_size)
    return fp32, quantize_onnx(fp32, work / "model_int8.onnx")


def export_sentence_encoder(base: Path, work: Path) -> tuple[Path, Path]:
    """Export the base sentence-transformers encoder (mean pooling, L2-normalised output
    ``embedding``) to optimised fp32 and int8 graphs in ``work``; returns (fp32, int8)."""
    import torch
    from transformers import AutoConfig, BertModel

    from .modeling import mean_pool

    class MeanPooled(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            return torch.nn.functional.normalize(mean_pool(hidden, attention_mask), dim=-1)

    base, work = Path(base), Path(work)
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
    fp32 = optimize_onnx(work / "raw.onnx", work / "fp32.onnx", config.num_attention_heads, config.hidden_size)
    return fp32, quantize_onnx(fp32, work / "int8.onnx")


def export_pooled_encoder(bert, path: Path) -> Path:
    """ONNX graph of a frozen encoder (any ``transformers`` model taking ``input_ids`` and
    ``attention_mask``) with outputs ``embedding`` (last layer, mean-pooled) and ``layers`` (every
    hidden state mean-pooled, concatenated)."""
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            states = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                               output_hidden_states=True).hidden_states
            mask = attention_mask.unsqueeze(-1).to(states[0].dtype)
            count = mask.sum(1).clamp(min=1.0)
            pooled = [(h * mask).sum(1) / count for h in states]
            return pooled[-1], torch.cat(pooled, dim=1)

    ids = torch.tensor([[0, 100, 200, 2], [0, 100, 2, 1]], dtype=torch.long)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes on shapes: the axes are declared dynamic below
        torch.onnx.export(Pooled(bert).eval(), (ids, (ids != 1).long()), str(path),
                          input_names=["input_ids", "attention_mask"], output_names=["embedding", LAYERS_OUTPUT],
                          dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                                        "attention_mask": {0: "batch", 1: "sequence"},
                                        "embedding": {0: "batch"}, LAYERS_OUTPUT: {0: "batch"}},
                          opset_version=17, dynamo=False, do_constant_folding=True)
    return path


def quantize_encoder(source: Path, target: Path) -> Path:
    """int8 word embeddings (``Gather``) and 4-bit weight matrices (``MatMulNBits``, symmetric
    blocks of 32, fp32 arithmetic: no activation quantization, so a text's scores do not depend on
    the other texts in its batch)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    from onnxruntime.quantization.matmul_nbits_quantizer import (DefaultWeightOnlyQuantConfig,
                                                                  MatMulNBitsQuantizer)
    root.handlers[:] = handlers  # the module calls logging.basicConfig(level=INFO) on import
    root.setLevel(level)

    logging.getLogger("onnxruntime.quantization.matmul_nbits_quantizer").setLevel(logging.WARNING)  # a line per node

    gathered = target.with_name(target.stem + "_gather_int8.onnx")
    with _quiet_root_logger():
        quantize_dynamic(str(source), str(gathered), weight_type=QuantType.QInt8, op_types_to_quantize=["Gather"],
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    quantizer = MatMulNBitsQuantizer(onnx.load(str(gathered)), algo_config=DefaultWeightOnlyQuantConfig(
        block_size=NBITS_BLOCK, is_symmetric=True, accuracy_level=0))
    quantizer.process()
    quantizer.model.save_model_to_file(str(target))
    gathered.unlink()
    return target
