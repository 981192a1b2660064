"""ONNX graph surgery: the ``layers`` output (every hidden state mean-pooled) and linear heads
added to an exported encoder, so that heads run in the same pass as the labels."""

from __future__ import annotations

import numpy as np

from ..errors import ModelLoadError
from .export import LAYERS_OUTPUT

def _hidden_state_tensors(graph) -> list[str]:
    """Names of the embedding output and each transformer layer's output in an exported (and
    onnxruntime-optimised) BERT or MPNet graph, bottom to top."""
    norms = [n.output[0] for n in graph.node if n.op_type in ("SkipLayerNormalization", "LayerNormalization")]
    # BERT's embeddings fuse into one operator; MPNet's (no token types) into a SkipLayerNormalization
    embed = ([n.output[0] for n in graph.node if n.op_type.endswith("EmbedLayerNormalization")]
             or [name for name in norms if "/embeddings/LayerNorm/" in name])
    layers = [name for name in norms if "/output/LayerNorm/" in name and "/attention/" not in name]
    if len(embed) != 1 or not layers:
        raise ModelLoadError("the graph is not an emoscope encoder export: cannot find its hidden states")
    return embed + layers


def _pooling_tensors(graph) -> tuple[str, str]:
    """The (batch, tokens, 1) float mask and the (batch, 1) token count that the graph's own
    mean pooling (output ``embedding``) uses."""
    producer = {o: n for n in graph.node for o in n.output}
    div = producer.get("embedding")
    if div is None or div.op_type != "Div":
        raise ModelLoadError("the graph has no mean-pooled 'embedding' output to share its mask with")
    mul = producer[producer[div.input[0]].input[0]]
    return mul.input[1], div.input[1]


def add_layers_output(model_proto):
    """Add the output ``layers``: every hidden state mean-pooled over tokens, concatenated."""
    import onnx
    from onnx import helper

    graph = model_proto.graph
    if any(LAYERS_OUTPUT in node.output for node in graph.node):  # heads read it already: expose it
        graph.output.append(helper.make_tensor_value_info(LAYERS_OUTPUT, onnx.TensorProto.FLOAT, ["batch", "features"]))
        return model_proto
    mask, count = _pooling_tensors(graph)
    axes = "emoscope_pool_axes"
    graph.initializer.append(onnx.numpy_helper.from_array(np.array([1], dtype=np.int64), axes))
    pooled = []
    for i, hidden in enumerate(_hidden_state_tensors(graph)):
        graph.node.extend([
            helper.make_node("Mul", [hidden, mask], [f"emoscope_masked_{i}"]),
            helper.make_node("ReduceSum", [f"emoscope_masked_{i}", axes], [f"emoscope_sum_{i}"], keepdims=0),
            helper.make_node("Div", [f"emoscope_sum_{i}", count], [f"emoscope_pooled_{i}"]),
        ])
        pooled.append(f"emoscope_pooled_{i}")
    graph.node.append(helper.make_node("Concat", pooled, [LAYERS_OUTPUT], axis=1))
    graph.output.append(helper.make_tensor_value_info(LAYERS_OUTPUT, onnx.TensorProto.FLOAT, ["batch", "features"]))
    return model_proto


def add_linear_head(model_proto, name: str, weight: np.ndarray, bias: np.ndarray, *, source: str = LAYERS_OUTPUT):
    """Add output ``name`` = ``source @ weight + bias`` (fp32: a few thousand multiply-adds);
    ``source`` is the graph's every layer mean-pooled or another of its outputs."""
    import onnx
    from onnx import helper

    graph = model_proto.graph
    graph.initializer.extend([onnx.numpy_helper.from_array(weight.astype(np.float32), f"emoscope_{name}_weight"),
                              onnx.numpy_helper.from_array(bias.astype(np.float32), f"emoscope_{name}_bias")])
    graph.node.extend([
        helper.make_node("MatMul", [source, f"emoscope_{name}_weight"], [f"emoscope_{name}_matmul"]),
        helper.make_node("Add", [f"emoscope_{name}_matmul", f"emoscope_{name}_bias"], [name]),
    ])
    graph.output.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, ["batch", len(bias)]))
    return model_proto


def add_mlp_heads(model_proto, hidden_weight: np.ndarray, hidden_bias: np.ndarray, heads: dict):
    """Add ``relu(layers @ hidden_weight + hidden_bias)`` and, on it, one linear output per head
    (``heads``: ``{output name: (weight, bias)}``); fp32."""
    import onnx
    from onnx import helper

    graph = model_proto.graph
    graph.initializer.extend([onnx.numpy_helper.from_array(hidden_weight.astype(np.float32), "emoscope_mlp_weight"),
                              onnx.numpy_helper.from_array(hidden_bias.astype(np.float32), "emoscope_mlp_bias")])
    graph.node.extend([helper.make_node("MatMul", [LAYERS_OUTPUT, "emoscope_mlp_weight"], ["emoscope_mlp_matmul"]),
                       helper.make_node("Add", ["emoscope_mlp_matmul", "emoscope_mlp_bias"], ["emoscope_mlp_pre"]),
                       helper.make_node("Relu", ["emoscope_mlp_pre"], ["emoscope_mlp_hidden"])])
    for name, (weight, bias) in heads.items():
        graph.initializer.extend([onnx.numpy_helper.from_array(weight.astype(np.float32), f"emoscope_{name}_weight"),
                                  onnx.numpy_helper.from_array(bias.astype(np.float32), f"emoscope_{name}_bias")])
        graph.node.extend([
            helper.make_node("MatMul", ["emoscope_mlp_hidden", f"emoscope_{name}_weight"], [f"emoscope_{name}_matmul"]),
            helper.make_node("Add", [f"emoscope_{name}_matmul", f"emoscope_{name}_bias"], [name]),
        ])
        graph.output.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, ["batch", len(bias)]))
    return model_proto


def core_graph(model_proto, drop: tuple[str, ...] = ("vad", "intensity", LAYERS_OUTPUT)):
    """The graph without the outputs ``drop`` (the regression heads ``train heads`` rebuilds) and
    the operators only they used; ``logits``, ``embedding`` and any other head stay."""
    from onnx.utils import Extractor

    keep = [o.name for o in model_proto.graph.output if o.name not in drop]
    return Extractor(model_proto).extract_model(["input_ids", "attention_mask"], keep)


def drop_output(model_proto, name: str):
    keep = [o for o in model_proto.graph.output if o.name != name]
    del model_proto.graph.output[:]
    model_proto.graph.output.extend(keep)
    return model_proto
