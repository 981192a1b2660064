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
