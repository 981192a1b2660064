"""Every shipped model gives the scores it gave before the redesign (to 1e-6).

``fixtures/reference_scores.npz`` was written by :func:`compute` running on commit 9e00f24, the
code before the redesign (``python -m tests.test_behaviour OUT.npz`` writes it again from the
code of the checkout it runs in); the default model's arrays (``goemotions_*``) were written
again when multidomain-minilm replaced goemotions-minilm as the default model (issue 17).  The texts are chosen from the shared datasets by fixed rules:
500 GoEmotions test texts, the first 40 MELD test dialogues, 18 dev texts of each SemEval track A
language.  Since issue 21 the default model reads texts of emoji and emoticons alone as words
(``"normalize_emoji": "meaning"``); none of these texts is one (no GoEmotions dev or test, MELD
test or SemEval track A dev text is), so its arrays did not change.  Issue 18 gave
``semeval-multilingual-e5`` a TF-IDF head per language: ``multilingual_language_proba`` (each
language's texts as ``for_language`` scores them) was added and ``multilingual_labels`` (now its
decisions) written again; ``multilingual_proba`` (no language: the encoder alone) did not change.
The default model's offsets for emoji beside words (``emoji_weights.json``, issue 21) move the
scores of the labels the emoji of a few of these GoEmotions texts mean: the test applied them to
the stored arrays until those were written again (below).  ``zeroshot_proba`` was written again when the zero-shot
encoder's int8 activation scales were fixed on GoEmotions train texts (static int8, batches of 32).
``multilingual_language_proba`` and ``multilingual_labels`` were written again when each language's
TF-IDF head, encoder weight and thresholds were chosen anew (9,000 terms, the train sample and dev
together; issue 18); ``multilingual_proba`` (the encoder alone) did not change.
The three ``multilingual_*`` arrays were written again on 2026-12-02, when ``semeval-multilingual-e5``
became the eight-layer encoder fine-tuned two epochs, static int8 (issue 18's speed), by ``python -m
tests.test_behaviour tests/fixtures/reference_scores.npz multilingual`` on a CPU with AVX-512 VNNI.
``meld_scores`` and ``meld_scores_alone`` were written again when the dialogue model became an
encoder fine-tuned with a GRU over its turn vectors (a context graph, issue 18), and again on
2026-12-02 (``python -m tests.test_behaviour tests/fixtures/reference_scores.npz meld_``, AVX-512
VNNI) when the run with seed 43, the best on dev, replaced it.
The default model's arrays (``goemotions_*``) were written again on 2026-12-01, when its basic-
emotion head was refitted with a wider penalty grid (issue 17), by ``python -m tests.test_behaviour
tests/fixtures/reference_scores.npz goemotions_`` on a CPU with AVX-512 VNNI; since then they hold
the scores with the offsets of emoji beside words applied, as ``predict_proba`` gives them.  They
were written again the same way on 2026-12-01 (later), when the default model's encoder became the
one ``train goemotions --positive-weight-power 0.5`` fine-tunes (issue 17).
``goemotions_vad`` was written again on 2026-12-02 (``... goemotions_vad``, AVX-512 VNNI), when the VAD
head got a TF-IDF regression blended beside it (issue 17).
``fixtures/reference_kernels.json`` names the int8 kernels each array was written with
(:func:`emoscope.runtime.int8_kernels`; an array it does not name: x86-64 AVX2): an array is
compared to 1e-6 on a CPU with the same kernels, within a tolerance elsewhere.
"""

import csv
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import DATASETS

REFERENCE = Path(__file__).parent / "fixtures" / "reference_scores.npz"
# which int8 kernels wrote each array (emoscope.runtime.int8_kernels); an array not named there was
# written on x86-64 AVX2
REFERENCE_KERNELS = REFERENCE.with_name("reference_kernels.json")


def goemotions_texts(n=500):
    rows = [line.rstrip("\n").split("\t")[0]
            for line in open(DATASETS / "goemotions" / "test.tsv", encoding="utf-8")]
    return [rows[i] for i in np.linspace(0, len(rows) - 1, n).round().astype(int)]


def meld_dialogues(n=40):
    import pandas as pd

    frame = pd.read_csv(DATASETS / "meld" / "test_sent_emo.csv", dtype=str, keep_default_na=False)
    frame["d"], frame["u"] = frame["Dialogue_ID"].astype(int), frame["Utterance_ID"].astype(int)
    frame = frame.sort_values(["d", "u"], kind="stable")
    return [(g["Speaker"].tolist(), g["Utterance"].tolist()) for _, g in list(frame.groupby("d", sort=True))[:n]]


def semeval_texts(per_language=18):
    texts, languages = [], []
    for path in sorted((DATASETS / "semeval2025-task11" / "track_a" / "dev").glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as handle:
            rows = [row["text"] for row in csv.DictReader(handle)]
        texts += rows[:per_language]
        languages += [path.stem] * len(rows[:per_language])
    return texts, languages


def compute(per_language: int = 18, dialogues: int = 40) -> dict:
    """The scores of every shipped model, through the public API only (the fixture holds them for
    18 texts per language and 40 dialogues)."""
    from emoscope import ContextEmotionModel, EmotionModel, ZeroShotClassifier

    out = {}
    texts = goemotions_texts()
    model = EmotionModel.load()
    out["goemotions_proba"] = model.predict_proba(texts)
    heads = model.predict_heads(texts)
    out["goemotions_vad"], out["goemotions_intensity"] = heads["vad"], heads["intensity"]
    out["goemotions_basic"] = heads["basic"]
    out["goemotions_labels"] = model.decide(out["goemotions_proba"]).astype(np.int8)  # = predict_labels
    context = ContextEmotionModel.load()
    some = meld_dialogues(dialogues)
    out["meld_scores"] = np.concatenate([context.turn_scores(s, t) for s, t in some])
    out["meld_scores_alone"] = np.concatenate([context.turn_scores(s, t, context_turns=0) for s, t in some])
    multilingual_texts, languages = semeval_texts(per_language)
    multilingual = EmotionModel.load("semeval-multilingual-e5")
    out["multilingual_proba"] = multilingual.predict_proba(multilingual_texts)
    # each language as for_language(lang) reads it: its thresholds and its TF-IDF head (issue 18)
    own = {lang: multilingual.for_language(lang) for lang in dict.fromkeys(languages)}
    out["multilingual_language_proba"] = np.concatenate([
        own[lang].predict_proba([t for t, l in zip(multilingual_texts, languages) if l == lang]) for lang in own])
    out["multilingual_labels"] = np.concatenate([  # = for_language(lang).predict_labels([text])
        own[lang].decide(row[None]) for row, lang in zip(out["multilingual_language_proba"], languages)
    ]).astype(np.int8)
    zero_shot = ZeroShotClassifier(["joy", "anger", "fear", "nostalgia", "boredom"])
    out["zeroshot_proba"] = zero_shot.predict_proba(texts[:200])
    return out


@pytest.mark.skipif(not (DATASETS / "meld").is_dir() or not (DATASETS / "semeval2025-task11").is_dir(),
                    reason="needs the shared datasets")
def test_every_shipped_model_scores_as_its_reference():
    from emoscope.runtime import AVX2_KERNELS, int8_kernels

    reference = dict(np.load(REFERENCE))
    # the first 9 texts of each language and the first 20 dialogues are scored again (the
    # multilingual encoder is most of the cost)
    per_language, dialogues = 9, 20
    _, languages = semeval_texts()  # the fixture's rows: each language's first 18 dev texts
    first = np.array([languages[:i].count(language) < per_language for i, language in enumerate(languages)])
    for name in ("multilingual_proba", "multilingual_language_proba", "multilingual_labels"):
        reference[name] = reference[name][first]
    turns = sum(len(texts) for _, texts in meld_dialogues(dialogues))
    for name in ("meld_scores", "meld_scores_alone"):
        reference[name] = reference[name][:turns]
    now = compute(per_language, dialogues)
    assert sorted(now) == sorted(reference)
    written_with = json.loads(REFERENCE_KERNELS.read_text()) if REFERENCE_KERNELS.is_file() else {}
    for name in reference:
        assert now[name].shape == reference[name].shape, name
        if written_with.get(name, AVX2_KERNELS) == int8_kernels():
            np.testing.assert_allclose(now[name], reference[name], atol=1e-6, rtol=0, err_msg=name)
        elif reference[name].dtype == np.int8:  # decisions: a text at a threshold may flip
            assert (now[name] != reference[name]).mean() <= 0.01, name
        else:  # int8 kernels other than the reference's: a few texts move, the
            # dialogue model's most (a GRU reads the turn vectors): on AVX-512 VNNI, mean 4.2e-4, largest 0.05
            gap = np.abs(now[name] - reference[name])
            assert gap.mean() <= 1e-3 and gap.max() <= 0.1, (name, gap.mean(), gap.max())


if __name__ == "__main__":  # python -m tests.test_behaviour OUT.npz [ARRAY_PREFIX]: only arrays named so
    from emoscope.runtime import int8_kernels

    out, prefix = Path(sys.argv[1]), (sys.argv[2] if len(sys.argv) > 2 else "")
    arrays = dict(np.load(out)) if out.is_file() else {}
    kernels_path = out.with_name(REFERENCE_KERNELS.name)
    kernels = json.loads(kernels_path.read_text()) if kernels_path.is_file() else {}
    for name, values in compute().items():
        if name.startswith(prefix):
            arrays[name], kernels[name] = values, int8_kernels()
    np.savez_compressed(out, **arrays)
    kernels_path.write_text(json.dumps(dict(sorted(kernels.items())), indent=1) + "\n")
