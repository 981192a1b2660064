"""Frozen-encoder features and ridge heads (:mod:`emoscope.train.features`)."""

import numpy as np

from emoscope.train.features import RidgePath


def test_ridge_with_more_features_than_rows_solves_the_same_problem_in_dual_form():
    """``RidgePath`` switches to the rows' kernel matrix when features outnumber rows (the frozen
    recipe's 9,984 features); the weights must be those of the usual (primal) solution."""
    rng = np.random.default_rng(0)
    features, targets = rng.normal(size=(40, 120)), rng.normal(size=(40, 3))
    dual = RidgePath(features, targets)
    assert dual.dual
    [(columns, path)] = dual.groups  # every target annotated on every row: one decomposition
    assert columns == [0, 1, 2]
    x = (features - path.mean) / path.std
    for alpha in (0.5, 30.0):
        primal = np.linalg.solve(x.T @ x + alpha * np.eye(x.shape[1]), x.T @ (targets - targets.mean(axis=0)))
        assert np.allclose(path.coefficients(alpha), primal, atol=1e-8)
    assert not RidgePath(features[:, :20], targets).dual


def test_positive_weights_weigh_rare_labels_up_within_their_bounds():
    from emoscope.train.goemotions import positive_weights

    targets = np.zeros((1000, 3), dtype=bool)
    targets[:500, 0], targets[:10, 1], targets[:1, 2] = True, True, True  # 50%, 1%, 0.1% positive
    assert positive_weights(targets, 0.0, 10.0) is None
    weights = positive_weights(targets, 0.5, 10.0)
    np.testing.assert_allclose(weights, [1.0, (990 / 10) ** 0.5, 10.0], rtol=1e-6)


def test_the_teacher_penalty_is_chosen_by_cross_validation_on_its_training_rows(tmp_path):
    """:func:`emoscope.train.teacher.fit_teacher` on the shipped default model's own layers over
    600 SemEval English train texts (the recipe reads all-mpnet-base-v2's; the fit does not care
    which encoder): the penalty of the grid with the best 5-fold CV macro-F1, and calibrated
    probabilities (the Platt map comes from out-of-fold predictions, so the training rows' mean
    probability stays near their positive rate instead of collapsing onto 0 and 1)."""
    from dataclasses import replace

    import onnx
    import pytest

    from emoscope.data import semeval
    from emoscope.persistence import read_model, shipped_model_dir
    from emoscope.text.encoder import OnnxTextEncoder
    from emoscope.train.fast import BASIC, basic_targets
    from emoscope.train.features import layer_features
    from emoscope.train.graph import add_layers_output
    from emoscope.train.teacher import fit_teacher
    from tests.helpers import DATASETS

    path = DATASETS / "semeval2025-task11" / "track_a" / "train" / "eng.csv"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    rows = semeval.read_track_a_file(path).head(600)
    targets, mask = basic_targets(rows)
    directory = shipped_model_dir("multidomain-minilm")
    probe = tmp_path / "probe.onnx"
    onnx.save(add_layers_output(onnx.load(str(directory / "model.onnx"))), str(probe))
    config = replace(read_model(directory).config, onnx_file=str(probe))
    features = layer_features(OnnxTextEncoder.from_config(directory, config, num_threads=2), rows.texts)
    alphas = (10.0, 1000.0, 100000.0)
    head, record = fit_teacher(features, targets, mask > 0, alphas, seed=0)
    scores = record["cv_macro_f1_by_alpha"]
    assert sorted(map(float, scores)) == sorted(alphas) and record["folds"] == 5
    assert scores[str(record["ridge_alpha"])] == max(scores.values()) > 0.3
    annotated = (mask > 0).any(axis=0)
    assert not annotated[BASIC.index("disgust")] and annotated.sum() == 5  # SemEval English: no disgust
    probabilities = 1 / (1 + np.exp(-head.predict(features)))
    rate = targets[:, annotated].mean(axis=0)
    assert np.all(np.abs(probabilities[:, annotated].mean(axis=0) - rate) < 0.15)


def test_train_fast_teacher_needs_on_model(tmp_path):
    from tests.helpers import run_cli

    shown = run_cli("train", "fast", "--goemotions", str(tmp_path), "--track-a", str(tmp_path), "--track-b",
                    str(tmp_path), "--emobank", str(tmp_path), "--meld", str(tmp_path), "--out", str(tmp_path / "out"),
                    "--teacher", "all-mpnet-base-v2")
    assert shown.returncode == 2 and "--teacher needs --on-model" in shown.stderr
    assert len(shown.stderr.strip().splitlines()) == 1 and not (tmp_path / "out").exists()
