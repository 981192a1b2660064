"""Zero-shot Ekman categories on GoEmotions from the category names and descriptions only."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np

from ..card import CardSection, CardTable
from ..data.goemotions import read_goemotions
from ..metrics import multilabel_report
from ..taxonomy import load_rollup
from ..text.zeroshot import DEFAULT_RATIO, DEFAULT_TEMPERATURE, SentenceEncoder, ZeroShotClassifier

ZERO_SHOT_TEMPERATURES = (0.02, 0.03, 0.05, 0.07, 0.1)
ZERO_SHOT_RATIOS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def evaluate_zero_shot_ekman(goemotions_dir, encoder_dir=None, num_threads=None) -> dict:
    """Zero-shot Ekman categories on GoEmotions from the category names and one-line
    descriptions (``taxonomy/ekman_descriptions.json``) only.

    Temperature and multi-label ratio are chosen on dev; test is scored at the library defaults
    (``emoscope.zeroshot``), which were set to the dev choice.  Baselines on test: always the
    most frequent dev category, and one uniformly random category per text (seed 0)."""
    descriptions = json.loads((resources.files("emoscope") / "taxonomy" / "ekman_descriptions.json")
                              .read_text(encoding="utf-8"))
    rollup = load_rollup("ekman")
    encoder = SentenceEncoder(encoder_dir, num_threads=num_threads)
    clf = ZeroShotClassifier(descriptions, encoder=encoder)
    order = [rollup.categories.index(c) for c in clf.labels]
    out = {"labels": clf.labels, "descriptions": descriptions}
    splits = {}
    for split in ("dev", "test"):
        data = read_goemotions(goemotions_dir, split)
        gold = rollup.predicted(data.targets, data.labels)[:, order]
        splits[split] = (gold, clf.similarities(data.texts))

    def macro(gold, sims, temperature, ratio):
        clf.temperature, clf.multi_label_ratio = temperature, ratio
        return multilabel_report(gold, clf.decide(clf.probabilities(sims)), clf.labels)

    gold, sims = splits["dev"]
    grid = {(t, r): macro(gold, sims, t, r).macro_f1 for t in ZERO_SHOT_TEMPERATURES for r in ZERO_SHOT_RATIOS}
    best = max(grid, key=grid.get)
    out["dev"] = {"best_temperature": best[0], "best_ratio": best[1], "best_macro_f1": grid[best],
                  "macro_f1_at_defaults": grid.get((DEFAULT_TEMPERATURE, DEFAULT_RATIO))}
    gold, sims = splits["test"]
    report = macro(gold, sims, DEFAULT_TEMPERATURE, DEFAULT_RATIO)
    most_frequent = int(splits["dev"][0].sum(axis=0).argmax())
    majority = np.zeros_like(gold)
    majority[:, most_frequent] = True
    rng = np.random.default_rng(0)
    random_pick = np.zeros_like(gold)
    random_pick[np.arange(len(gold)), rng.integers(0, gold.shape[1], len(gold))] = True
    out["test"] = {"n_texts": int(len(gold)), "temperature": DEFAULT_TEMPERATURE, "ratio": DEFAULT_RATIO,
                   "macro_f1": report.macro_f1, "micro_f1": report.micro_f1,
                   "per_label": [vars(s) for s in report.per_label],
                   "majority_baseline_macro_f1": multilabel_report(gold, majority, clf.labels).macro_f1,
                   "majority_label": clf.labels[most_frequent],
                   "random_baseline_macro_f1": multilabel_report(gold, random_pick, clf.labels).macro_f1}
    return out


def describe_zero_shot(payload: dict) -> list[CardSection]:
    t, d = payload["test"], payload["dev"]
    lines = ["Only the seven category names and the one-line descriptions below are used; no GoEmotions "
             "text was trained on. Temperature and multi-label ratio were chosen on dev (best: T "
             f"{d['best_temperature']}, ratio {d['best_ratio']}, dev macro-F1 {d['best_macro_f1']:.4f}); "
             f"the library defaults are T {t['temperature']}, ratio {t['ratio']}.", "",
             f"- test ({t['n_texts']} texts): **macro-F1 {t['macro_f1']:.4f}**, micro-F1 {t['micro_f1']:.4f}",
             f"- baseline, always '{t['majority_label']}' (the most frequent dev category): macro-F1 "
             f"{t['majority_baseline_macro_f1']:.4f}",
             "- baseline, one uniformly random category per text (seed 0): macro-F1 "
             f"{t['random_baseline_macro_f1']:.4f}"]
    table = CardTable(["category", "description", "F1", "support"],
                      [[s["label"], payload["descriptions"][s["label"]], round(s["f1"], 3), s["support"]]
                       for s in t["per_label"]])
    return [CardSection("Zero-shot Ekman categories on GoEmotions", lines, [table])]
