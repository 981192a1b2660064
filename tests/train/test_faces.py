"""``emoscope train faces`` end to end on a slice of FER+ train: interrupted in its second epoch,
resumed by the command, and the model it writes is read back by ``emoscope evaluate``."""

import json

import pytest

from tests.faces.media import FERPLUS
from tests.helpers import needs

pytestmark = pytest.mark.slow

pytest.importorskip("torch")


class Stop(Exception):
    pass


def test_an_interrupted_training_resumes_and_writes_a_model_evaluate_reads(cli, tmp_path):
    from emoscope.train.arguments import FaceArguments
    from emoscope.train.faces import train_network

    data, out = needs(FERPLUS), tmp_path / "faces-model"
    arguments = FaceArguments(epochs=2, max_train_images=256, num_threads=2)

    def stop_before_the_second_epoch_is_saved(line):  # as a kill at that moment would
        if line.startswith("epoch 2/2"):
            raise Stop(line)

    with pytest.raises(Stop):
        train_network(data, out / "_work", arguments, log=stop_before_the_second_epoch_is_saved)
    assert (out / "_work" / "checkpoint.pt").is_file()

    result = cli("train", "faces", "--data", data, "--out", out, "--epochs", "2", "--max-train-images", "256",
                 "--threads", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "resuming after epoch 1" in result.stderr and "epoch 2/2" in result.stderr
    assert "epoch 1/2" not in result.stderr  # the first epoch was not trained again
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "config.json", "labels.json", "model.onnx",
                                                    "model_card.json"]
    card = json.loads((out / "model_card.json").read_text())
    assert card["training"]["command"].startswith("emoscope train faces")
    assert set(card["metrics"]) == {"ferplus/valid", "ferplus/test"}
    assert card["metrics"]["ferplus/test"]["accuracy"] > 0.3  # 256 images: above chance (0.125), no more

    evaluated = cli("evaluate", "--dataset", "ferplus", "--data", data, "--split", "valid", "--model", out, "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["accuracy"] == pytest.approx(card["metrics"]["ferplus/valid"]["accuracy"])
