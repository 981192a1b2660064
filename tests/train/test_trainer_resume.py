"""A fine-tuning stopped within an epoch goes on from its last saved state to the weights the
unstopped run reaches (:func:`emoscope.train.trainer.train_tasks`, which every fine-tuning recipe
runs), and a finished run leaves no state file behind."""

import numpy as np
import pytest

from tests.helpers import DATASETS

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

GOEMOTIONS = DATASETS / "goemotions"


class _Stop(Exception):
    pass


def _run(texts, targets, resume=None, stop_at_batch=None, progress=lambda m: None):
    """train_tasks on all-MiniLM-L6-v2 (its last layer and a head trained, dropout on the pooled
    vectors) for two epochs of six batches; ``stop_at_batch``: stop as that batch is read."""
    from tokenizers import Tokenizer
    from transformers import AutoModel

    from emoscope.train.arguments import FineTuneArguments
    from emoscope.train.modeling import mean_pool
    from emoscope.train.trainer import TrainingTask, default_base_model, pad, seed_everything, train_tasks

    base = default_base_model()
    seed_everything(0)
    torch.set_num_threads(2)
    bert = AutoModel.from_pretrained(str(base), attn_implementation="eager")
    for name, parameter in bert.named_parameters():
        parameter.requires_grad = name.startswith("encoder.layer.5.")
    network = torch.nn.ModuleDict({"bert": bert, "head": torch.nn.Linear(bert.config.hidden_size, targets.shape[1])})
    dropout = torch.nn.Dropout(0.1)
    tokenizer = Tokenizer.from_file(str(base / "tokenizer.json"))
    tokenizer.enable_truncation(32)
    encoded = [e.ids for e in tokenizer.encode_batch(texts)]
    calls = []

    def pooled(_task, rows):
        calls.append(1)
        if len(calls) == stop_at_batch:
            raise _Stop
        input_ids, mask = pad([encoded[i] for i in rows])
        return dropout(mean_pool(bert(input_ids=input_ids, attention_mask=mask).last_hidden_state, mask))

    task = TrainingTask("labels", texts, targets, "bce")
    args = FineTuneArguments(epochs=2, batch_size=16, num_threads=2, seed=0)
    run = train_tasks(network, pooled, {"labels": network["head"]}, [task], [[len(x) for x in encoded]], args,
                      progress, torch.device("cpu"), resume=resume, save_every_seconds=0.0)
    return network, run


def test_a_run_stopped_within_an_epoch_resumes_to_the_same_weights(tmp_path):
    if not (GOEMOTIONS / "train.tsv").is_file():
        pytest.skip("GoEmotions not found")
    from emoscope.train.arguments import GoEmotionsArguments
    from emoscope.train.goemotions import read_goemotions_splits

    train = read_goemotions_splits(GOEMOTIONS, GoEmotionsArguments(max_train_samples=96, max_eval_samples=8))[0]
    texts, targets = list(train.texts), train.targets.astype(np.float32)

    whole, run = _run(texts, targets)
    assert run["steps"] == 12
    state = tmp_path / "resume.pt"
    with pytest.raises(_Stop):
        _run(texts, targets, resume=state, stop_at_batch=5)  # four steps of the first epoch's six done
    assert state.is_file()
    messages = []
    resumed, _ = _run(texts, targets, resume=state, progress=messages.append)
    assert any(m.startswith("resuming at step 4/12") for m in messages), messages
    changed = 0
    for (name, a), (_, b) in zip(whole.named_parameters(), resumed.named_parameters()):
        assert torch.equal(a, b), name
        changed += a.requires_grad
    assert changed > 2  # the trained layer and the head, not only frozen weights, were compared


@pytest.mark.slow
def test_a_finished_fine_tuning_leaves_no_state_file(tmp_path):
    if not (GOEMOTIONS / "train.tsv").is_file():
        pytest.skip("GoEmotions not found")
    from emoscope.train.arguments import FineTuneArguments, GoEmotionsArguments
    from emoscope.train.goemotions import read_goemotions_splits
    from emoscope.train.trainer import TrainingTask, fine_tune_tasks_or_reuse

    train = read_goemotions_splits(GOEMOTIONS, GoEmotionsArguments(max_train_samples=32, max_eval_samples=8))[0]
    task = TrainingTask("labels", list(train.texts), train.targets.astype(np.float32), "bce")
    checkpoint = tmp_path / "checkpoint"
    fine_tune_tasks_or_reuse(checkpoint, [task], train.labels, FineTuneArguments(epochs=1, batch_size=16, num_threads=2),
                             lambda m: None)
    assert (checkpoint / "training_state.json").is_file() and not list(checkpoint.glob("resume-*.pt"))
