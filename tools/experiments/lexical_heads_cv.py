"""The per-language TF-IDF heads' term cut and penalty, by cross-validation on train (diagnostics).

    python tools/experiments/lexical_heads_cv.py --track-a ../shared/datasets/semeval2025-task11/track_a \
        --languages vmw,sun,yor,ibo --cuts 8000,16000,all              # does the 8,000-term cut cost?
    python tools/experiments/lexical_heads_cv.py --track-a ... --languages all --cuts 8000 --c-values 1,2,4,8,16

For each language, 5-fold cross-validation on its train split (folds drawn with seed 0): the head
``train multilingual-lexical`` fits (word 1-2-grams and char_wb 2-5-grams, class-balanced logistic
regression with inverse penalty C, shipped 4) cut to each number of terms or kept whole;
out-of-fold macro-F1, each emotion at its best threshold over the out-of-fold scores (the same for
every setting).  Dev is not read.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from emoscope.data.semeval import read_track_a
from emoscope.evaluate.tfidf import fit_word_char_head
from emoscope.data.labelled import NOT_ANNOTATED
from emoscope.metrics import masked_macro_f1, tune_thresholds_masked


def best_threshold_macro_f1(targets: np.ndarray, scores: np.ndarray) -> float:
    thresholds = tune_thresholds_masked(targets, scores, missing=NOT_ANNOTATED)
    return masked_macro_f1(targets, scores >= thresholds, NOT_ANNOTATED)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--track-a", type=Path, required=True)
    parser.add_argument("--languages", default="vmw,sun,yor,ibo", help="comma-separated, or all")
    parser.add_argument("--cuts", default="8000,16000,all", help="numbers of terms kept (all: no cut)")
    parser.add_argument("--c-values", default="4", help="inverse penalties of the logistic regressions")
    args = parser.parse_args()
    cuts = [None if c == "all" else int(c) for c in args.cuts.split(",")]
    c_values = [float(c) for c in args.c_values.split(",")]
    train = read_track_a(args.track_a, "train", None if args.languages == "all" else args.languages.split(","))
    for language in train:
        split = train[language]
        fold = np.random.default_rng(0).permutation(len(split.texts)) % 5
        marks = []
        for cut in cuts:
            for c in c_values:
                out_of_fold, terms = np.zeros(split.targets.shape), []
                for k in range(5):
                    fit_rows, held = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
                    head = fit_word_char_head([split.texts[i] for i in fit_rows], split.targets[fit_rows],
                                              c=c, max_features=cut)
                    out_of_fold[held] = head.predict_proba([split.texts[i] for i in held])
                    terms.append(len(head.terms))
                name = f"{cut or 'all'}" + (f" C={c:g}" if len(c_values) > 1 else "")
                marks.append(f"{name}: {best_threshold_macro_f1(split.targets, out_of_fold):.4f} "
                             f"({np.mean(terms):.0f} terms)")
        print(f"{language} ({len(split.texts)} train texts): " + ", ".join(marks), flush=True)


if __name__ == "__main__":
    main()
