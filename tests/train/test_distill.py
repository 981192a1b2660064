"""emoscope train distill: the GoEmotions encoder fine-tuned on VAD and intensity as well, with a
frozen teacher.  The whole recipe takes about an hour on two cores, so the tests run its training
loop on real texts for a few dozen steps and check the command's refusals; the shipped model it
produced is checked in tests/text/test_heads.py."""

import numpy as np
import pytest

from tests.helpers import DATASETS, GOEMOTIONS, run_cli

# end-to-end training: minutes each; `pytest -m slow` runs them (CI does, once)
pytestmark = pytest.mark.slow

EMOBANK = DATASETS / "emobank"
TRACK_B = DATASETS / "semeval2025-task11" / "track_b"


def test_multitask_fine_tuning_fits_labels_vad_and_intensity_together(tmp_path):
    pytest.importorskip("torch")
    if not (GOEMOTIONS / "train.tsv").is_file() or not EMOBANK.exists() or not TRACK_B.exists():
        pytest.skip("datasets not found (set EMOSCOPE_DATASETS)")
    import shutil

    from emoscope.data.emobank import read_emobank
    from emoscope.data.goemotions import read_goemotions
    from emoscope.data.semeval import read_intensity
    from emoscope.train.arguments import DistillArguments
    from emoscope.train.distill import MultiTaskExamples, fine_tune_multitask
    from emoscope.train.modeling import BertForMeanPooledClassification
    from emoscope.train.trainer import default_base_model

    goemotions = read_goemotions(GOEMOTIONS, "train")
    n_labels = goemotions.targets.shape[1]
    base = default_base_model()
    checkpoint = tmp_path / "checkpoint"
    BertForMeanPooledClassification.from_pretrained(base, num_labels=n_labels).save_pretrained(checkpoint)
    shutil.copyfile(base / "tokenizer.json", checkpoint / "tokenizer.json")

    # the base's own probabilities (what the categories learn by default): batched over texts of
    # different lengths, each row still belongs to its own text
    from emoscope.train.distill import base_probabilities

    texts = ["ok", "I am so happy for you, congratulations!", "Why would anyone do that?", "ugh"]
    together = base_probabilities(checkpoint, texts, batch_size=3)
    alone = np.concatenate([base_probabilities(checkpoint, [t]) for t in texts])
    assert together.shape == (4, n_labels) and ((together > 0) & (together < 1)).all()
    np.testing.assert_allclose(together, alone, atol=1e-5)

    emobank = read_emobank(EMOBANK)["train"]
    track_b = read_intensity(TRACK_B)["train"]
    eb_texts, eb_vad = emobank.texts, emobank.targets
    tb_texts, tb_intensity = track_b.texts, track_b.targets
    n = 32

    def z(x):
        return (x - x.mean(axis=0)) / x.std(axis=0)

    rows = np.zeros((n, n_labels))
    # each row has the targets of its own task only (zeros, the standardised mean, for the others)
    examples = MultiTaskExamples.concatenate([
        MultiTaskExamples(goemotions.texts[:n], goemotions.targets[:n].astype(np.float32), np.ones(n),
                          np.zeros((n, 3)), np.zeros((n, 5))),
        MultiTaskExamples(list(eb_texts[:n]), rows, np.zeros(n), z(eb_vad[:n]), np.zeros((n, 5))),
        MultiTaskExamples(list(tb_texts[:n]), rows, np.zeros(n), np.zeros((n, 3)), z(tb_intensity[:n])),
    ])
    assert len(examples) == 3 * n and examples.has_labels.sum() == n
    args = DistillArguments(epochs=15, learning_rate=2e-4, warmup_ratio=0.0, num_threads=2)
    model, info = fine_tune_multitask(checkpoint, examples, args)
    assert info["steps"] == 45
    # 96 texts seen 15 times: the three losses together must fall well below where they began
    assert info["loss_last_tenth"] < 0.5 * info["loss_first_tenth"], info
    assert type(model).__name__ == "BertForMeanPooledClassification"
    assert not hasattr(model, "vad")  # the training-only regression layers are not kept


def test_distill_refuses_a_base_checkpoint_that_is_not_one(tmp_path):
    result = run_cli("train", "distill", "--data", GOEMOTIONS, "--emobank", EMOBANK, "--intensity", TRACK_B,
                     "--base-checkpoint", tmp_path, "--out", tmp_path / "never")
    assert result.returncode == 3, result.stderr
    assert "--base-checkpoint" in result.stderr and "config.json" in result.stderr
    assert not (tmp_path / "never").exists()
    result = run_cli("train", "distill", "--data", GOEMOTIONS, "--emobank", EMOBANK, "--intensity", TRACK_B,
                     "--base-checkpoint", tmp_path, "--out", tmp_path / "never", "--category-targets", "both")
    assert result.returncode == 2 and "'base' or 'gold'" in result.stderr
    assert not (tmp_path / "never").exists()
