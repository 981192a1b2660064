"""Emoji normalisation (issue 21): macro-F1 of a model with and without reading emoji and emoticons
as words (``emoscope.text.normalize``), on a GoEmotions split and on the hand-written set
``tests/fixtures/emoji_texts.tsv``.

For each variant it prints, with the model's own thresholds and calibration:

- the GoEmotions texts the normaliser changes (those with an emoji or emoticon): macro-F1 over
  the labels present in them, macro-F1 over all 28 labels, micro-F1;
- the whole split: macro-F1 and micro-F1 over the 28 labels;
- the hand-written set: macro-F1 over the labels it expects, and the share of texts given at
  least one expected label.

Variants: ``off`` (the text as given), ``words`` (each emoji or emoticon as its Unicode name),
``words-collapse`` (a run of one emoji written once), ``words+original`` and
``words+original-collapse`` (the emoji kept after its words), ``emoji-only`` and
``emoticons-only`` (the other kind left as it is); ``meaning-*``: each emoji or emoticon as the
word of the GoEmotions label its train texts carry (``emoji_to_meaning``; the table is made by
``benchmarks/emoji_table.py``), in its place (``replace``) or after the text (``append``), a run
of one word once (``collapse``) or not, an emoji without a word kept, dropped or named; the next
two read texts of emoji alone (names, or meanings) and leave every other text as given; the last
(what ``multidomain-minilm`` ships) reads texts of emoji alone as meanings and adds, to the scores
of a text with emoji beside its words, the per-label offsets of ``emoji_weights.json`` (fitted on
train by ``emoscope train emoji``); ``meaning, texts off calls neutral only`` reads them (in place, runs
once) only in texts that ``off`` labels ``neutral`` alone.  A text's scores do not depend on
the texts beside it (the shipped graph's scales are fixed), so texts without emoji are scored once.
Choices are made on dev; test is reported only.

    python benchmarks/emoji.py --data ../shared/datasets/goemotions --split dev --threads 2
"""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "emoji_texts.tsv"


NEUTRAL_ONLY = "meaning, texts off calls neutral only"
WEIGHTED = "meaning, emoji-only texts; offsets for emoji beside words (shipped)"


def variants() -> dict:
    from emoscope.text.normalize import emoji_only, emoji_only_to_meaning, emoji_to_meaning, emoji_to_words

    meanings = {}
    for append in (False, True):
        for collapse in (True, False):
            for fallback in (("keep", "drop", "name") if not append else ("keep", "name")):
                name = f"meaning-{'append' if append else 'replace'}{'-collapse' if collapse else ''}-{fallback}"
                meanings[name] = partial(emoji_to_meaning, append=append, collapse=collapse, fallback=fallback)
    return {"off": None, "words": emoji_to_words, "words-collapse": partial(emoji_to_words, collapse=True),
            "words+original": partial(emoji_to_words, keep_original=True),
            "words+original-collapse": partial(emoji_to_words, keep_original=True, collapse=True),
            "emoji-only": partial(emoji_to_words, emoticons=False),
            "emoticons-only": partial(emoji_to_words, emoji=False), **meanings,
            NEUTRAL_ONLY: partial(emoji_to_meaning),
            "names, emoji-only texts": lambda t: emoji_to_words(t, collapse=True) if emoji_only(t) else t,
            "meaning, emoji-only texts": emoji_only_to_meaning, WEIGHTED: emoji_only_to_meaning}


def read_fixture(labels: list[str], path: Path = FIXTURE) -> tuple[list[str], np.ndarray]:
    """The hand-written set: ``text<TAB>expected labels, comma-separated`` (``#`` lines are comments)."""
    texts, gold = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, expected = line.split("\t")
        texts.append(text)
        row = np.zeros(len(labels), dtype=bool)
        row[[labels.index(label.strip()) for label in expected.split(",")]] = True
        gold.append(row)
    return texts, np.array(gold)


def scores_with(model, texts: list[str], normalize, weights=None) -> np.ndarray:
    model.normalize, model.emoji_weights = normalize, weights
    return model.blend(model.component_scores(texts))


def present_macro_f1(report, gold: np.ndarray) -> float:
    present = gold.any(axis=0)
    return float(np.mean([s.f1 for s, p in zip(report.per_label, present) if p]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(REPO.parent / "shared/datasets/goemotions"))
    parser.add_argument("--split", default="dev", choices=("dev", "test"))
    parser.add_argument("--model", default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", default="", help="variants whose name contains this (and off)")
    args = parser.parse_args()

    from emoscope import EmotionModel
    from emoscope.data.goemotions import read_goemotions
    from emoscope.metrics import multilabel_report
    from emoscope.text.normalize import emoji_to_words

    model = EmotionModel.load(args.model, num_threads=args.threads)
    weights = model.emoji_weights  # emoji_weights.json (emoscope train emoji), used by WEIGHTED only
    rows = read_goemotions(Path(args.data), args.split)
    texts, gold = list(rows.texts), np.asarray(rows.targets, dtype=bool)
    changed = np.array([emoji_to_words(t) != t for t in texts])
    base = scores_with(model, texts, None)
    own_texts, own_gold = read_fixture(model.labels)
    print(f"model {model.name}; GoEmotions {args.split}: {len(texts)} texts, {changed.sum()} with emoji or "
          f"emoticons; hand-written set: {len(own_texts)} texts")
    print("| variant | emoji texts macro-F1 (labels present) | emoji texts macro-F1 (28) | emoji texts micro-F1 "
          "| all macro-F1 | all micro-F1 | own set macro-F1 | own set hit rate |")
    print("|---|---|---|---|---|---|---|---|")
    subset = [texts[i] for i in np.flatnonzero(changed)]

    def neutral_only(scores):
        predicted = model.decide(scores)
        return predicted[:, model.labels.index("neutral")] & (predicted.sum(axis=1) == 1)

    for name, normalize in variants().items():
        if args.only and args.only not in name and name != "off":
            continue
        scores = base.copy()
        weighted = weights if name == WEIGHTED else None
        if normalize is not None:
            scores[changed] = scores_with(model, subset, normalize, weighted)
        if name == NEUTRAL_ONLY:  # read emoji only where the text as given gets neutral alone
            scores[~neutral_only(base)] = base[~neutral_only(base)]
        predicted = model.decide(scores)
        sub = multilabel_report(gold[changed], predicted[changed], model.labels)
        whole = multilabel_report(gold, predicted, model.labels)
        own_scores = scores_with(model, own_texts, normalize, weighted)
        if name == NEUTRAL_ONLY:
            own_base = scores_with(model, own_texts, None)
            own_scores[~neutral_only(own_base)] = own_base[~neutral_only(own_base)]
        own_predicted = model.decide(own_scores)
        own = multilabel_report(own_gold, own_predicted, model.labels)
        hits = float(np.mean((own_predicted & own_gold).any(axis=1)))
        print(f"| {name} | {present_macro_f1(sub, gold[changed]):.4f} | {sub.macro_f1:.4f} | {sub.micro_f1:.4f} "
              f"| {whole.macro_f1:.4f} | {whole.micro_f1:.4f} | {present_macro_f1(own, own_gold):.4f} | {hits:.3f} |")


if __name__ == "__main__":
    main()
