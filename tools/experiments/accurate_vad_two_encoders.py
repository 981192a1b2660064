"""The accurate tier's VAD from both of its encoders (docs/experiments/accurate-vad-two-encoders.md).

    python tools/experiments/accurate_vad_two_encoders.py --emobank ../shared/datasets/emobank \
        --work runs/vad-two --threads 2 [--report]

The tier runs the default model's MiniLM (its labels) and a frozen all-mpnet-base-v2 (its heads);
its VAD reads mpnet only.  The rule, written before any score: (A) blend the two models' VAD
outputs as shipped (each already blended with its TF-IDF regression), ``a`` per target from 0 to 1
by 0.1 on EmoBank dev; (B) one ridge per target on both encoders' every layer concatenated
(penalty on dev), then the recipe's TF-IDF blend (penalty and weight on dev).  The shipped tier
(mpnet alone, the same code) is the baseline.  Ship the better variant if its dev mean r beats the
baseline by >= 0.01 and a 5-fold cross-validation over dev (choices on four folds, the fifth
scored) by >= 0.005.  ``--report`` adds EmoBank test (it decides nothing).
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np

from emoscope.data.emobank import read_emobank
from emoscope.metrics import pearson_r
from emoscope.text.model import EmotionModel
from emoscope.train.arguments import HeadsArguments
from emoscope.train.features import RidgePath, cached_features, file_digest
from emoscope.train.heads import VAD_HEAD
from emoscope.train.lexical import TfidfRidges

from basic_choice import layers_encoder

SPLITS = ("train", "dev", "test")


def model_vad(model: str, rows: dict, threads: int) -> dict:
    """{split: (n, 3)} of a shipped model's VAD as it reports it."""
    loaded = EmotionModel.load(model, num_threads=threads)
    return {s: np.array([[r.vad.valence, r.vad.arousal, r.vad.dominance] for r in loaded.predict(rows[s].texts)])
            for s in ("dev", "test")}


def features_of(model: str, rows: dict, work: Path, threads: int) -> dict:
    encoder = layers_encoder(model, work, threads)
    texts = [t for s in SPLITS for t in rows[s].texts]
    index, encoded = cached_features(encoder, texts, work / f"features-{file_digest(encoder.model_path)}", print)
    return {s: encoded[[index[t] for t in rows[s].texts]].astype(np.float64) for s in SPLITS}


def tfidf_predictions(rows: dict, args: HeadsArguments) -> dict:
    """{lexical alpha: {split: predictions}} of the TF-IDF ridges on EmoBank train."""
    ridges = TfidfRidges.fit(rows["train"].texts, rows["train"].targets, args.lexical_alphas)
    by_split = {s: ridges.predict(rows[s].texts) for s in ("dev", "test")}
    return {b: {s: by_split[s][b] for s in ("dev", "test")} for b in args.lexical_alphas}


def ridge_and_tfidf_candidates(x: dict, rows: dict, args: HeadsArguments, lexical: dict) -> dict:
    """{(alpha, lexical alpha, w): {split: predictions}} of the recipe's VAD head on ``x``: the
    ridge at every penalty, clipped, blended with the TF-IDF ridge (``lexical``) at every penalty
    and weight."""
    path = RidgePath(x["train"], rows["train"].targets)
    head = {a: {s: np.clip(path.predict(x[s], a), *VAD_HEAD.range) for s in ("dev", "test")} for a in args.alphas}
    return {(a, b, w): {s: w * head[a][s] + (1 - w) * lexical[b][s] for s in ("dev", "test")}
            for a, b, w in itertools.product(args.alphas, args.lexical_alphas, args.lexical_encoder_weights)}


def choose(candidates: dict, gold: np.ndarray, rows: np.ndarray) -> list:
    """Per target, the candidate key with the best Pearson r on ``rows`` of dev."""
    return [max(candidates, key=lambda k: pearson_r(candidates[k]["dev"][rows, j], gold[rows, j]))
            for j in range(gold.shape[1])]


def assess(candidates: dict, gold_dev: np.ndarray, gold_test: np.ndarray) -> dict:
    everything = np.ones(len(gold_dev), bool)
    chosen = choose(candidates, gold_dev, everything)
    dev = [pearson_r(candidates[k]["dev"][:, j], gold_dev[:, j]) for j, k in enumerate(chosen)]
    test = [pearson_r(candidates[k]["test"][:, j], gold_test[:, j]) for j, k in enumerate(chosen)]
    fold = np.random.default_rng(0).permutation(len(gold_dev)) % 5
    out_of_fold = np.zeros_like(gold_dev)
    for k in range(5):
        keys = choose(candidates, gold_dev, fold != k)
        for j, key in enumerate(keys):
            out_of_fold[fold == k, j] = candidates[key]["dev"][fold == k, j]
    cv = [pearson_r(out_of_fold[:, j], gold_dev[:, j]) for j in range(gold_dev.shape[1])]
    return {"dev": dev, "dev_cv": cv, "test": test, "chosen": chosen}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--emobank", type=Path, required=True)
    parser.add_argument("--work", type=Path, default=Path("runs/vad-two"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    rows = read_emobank(args.emobank)
    gold = {s: rows[s].targets for s in ("dev", "test")}
    heads = HeadsArguments()

    tier, default = model_vad("accurate", rows, args.threads), model_vad("fast", rows, args.threads)
    blended = {(a,): {s: a * tier[s] + (1 - a) * default[s] for s in ("dev", "test")}
               for a in np.round(np.arange(0, 1.01, 0.1), 1)}
    mpnet, minilm = features_of("accurate", rows, args.work, args.threads), features_of("fast", rows, args.work, args.threads)
    lexical = tfidf_predictions(rows, heads)
    variants = {"shipped tier (mpnet, recomputed)": ridge_and_tfidf_candidates(mpnet, rows, heads, lexical),
                "A: output blend with the default model": blended,
                "B: mpnet + MiniLM features": ridge_and_tfidf_candidates(
                    {s: np.hstack([mpnet[s], minilm[s]]) for s in SPLITS}, rows, heads, lexical)}
    for name, candidates in variants.items():
        marks = assess(candidates, gold["dev"], gold["test"])
        line = (f"{name}: dev r {' / '.join(f'{r:.4f}' for r in marks['dev'])} (mean {np.mean(marks['dev']):.4f}); "
                f"dev CV mean {np.mean(marks['dev_cv']):.4f}; chosen {marks['chosen']}")
        if args.report:
            line += f"; test r {' / '.join(f'{r:.4f}' for r in marks['test'])} (mean {np.mean(marks['test']):.4f})"
        print(line, flush=True)
    if args.report:
        print(f"as shipped, tier test r {[round(pearson_r(tier['test'][:, j], gold['test'][:, j]), 4) for j in range(3)]}")


if __name__ == "__main__":
    main()
