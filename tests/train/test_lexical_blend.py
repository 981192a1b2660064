"""The TF-IDF ridge beside a regression head with its penalty and weight chosen by cross-validation
on train (``emoscope.train.lexical.fit_lexical_blend_cv``; the intensity head's, with
``train accurate --intensity-lexical``), on SemEval 2025 track B English train."""

import numpy as np
import pytest

from tests.helpers import DATASETS, needs

pytest.importorskip("sklearn")


@pytest.fixture(scope="module")
def intensity():
    needs(DATASETS / "semeval2025-task11")
    from emoscope.data import semeval

    return semeval.read_intensity(DATASETS / "semeval2025-task11" / "track_b")["train"]


def _blend(rows, head_oof):
    from emoscope.data.semeval import INTENSITY_EMOTIONS
    from emoscope.train.lexical import fit_lexical_blend_cv

    return fit_lexical_blend_cv(rows.texts, rows.targets, head_oof, (1.0, 10.0), (0.0, 0.5, 1.0),
                                INTENSITY_EMOTIONS)


def test_a_head_that_knows_the_answers_takes_all_the_weight(intensity):
    blend = _blend(intensity, intensity.targets.astype(float))
    assert blend.encoder_weights == (1.0,) * 5
    assert all(r["head"] == 1.0 and r["blend"] == 1.0 for r in blend.dev_r.values())


def test_a_head_of_noise_gives_the_tfidf_regression_all_the_weight(intensity):
    noise = np.random.default_rng(0).normal(size=intensity.targets.shape)
    blend = _blend(intensity, noise)
    assert blend.encoder_weights == (0.0,) * 5
    # out of fold, the words read intensity (r 0.28 to 0.44 on track B English) and the noise nothing
    assert all(r["blend"] > 0.2 and abs(r["head"]) < 0.1 for r in blend.dev_r.values())
    predicted = blend.head.decision_function(intensity.texts[:20])  # fitted on every row at its penalty
    assert predicted.shape == (20, 5) and np.isfinite(predicted).all()
