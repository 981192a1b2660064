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
