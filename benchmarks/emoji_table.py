"""Build ``src/emoscope/text/emoji_meanings.json`` (issue 21): for each emoji and emoticon common in
GoEmotions TRAIN, the word of the GoEmotions label its texts carry most, read by
:func:`emoscope.text.normalize.emoji_to_meaning`.

For an emoji (skin tones and variation selectors dropped) or emoticon (``:)))`` counted as ``:)``)
found in at least ``--min-texts`` train texts, each label other than ``neutral`` gets
``count * log(lift)``, where ``count`` is how many of those texts carry the label and ``lift`` is
their share carrying it over the share of all train texts carrying it (count-weighted PMI: a strong
association seen in few texts does not beat a clear one seen in many).  The best label is kept when
at least ``--min-labelled`` of the texts carry it and its lift is at least ``--min-lift``; the
emoji is then written as that label's word (``LABEL_WORDS``).  Only train is read; dev chose how
the table is used (docs/models.md), test is never read.

    python benchmarks/emoji_table.py --data ../shared/datasets/goemotions
"""

from __future__ import annotations

import argparse
import json
import math
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "src" / "emoscope" / "text" / "emoji_meanings.json"

# One plain word (or two) per GoEmotions label, each in the default model's TF-IDF vocabulary.
LABEL_WORDS = {
    "admiration": "great", "amusement": "lol", "anger": "angry", "annoyance": "ugh", "approval": "agree",
    "caring": "hugs", "confusion": "confused", "curiosity": "curious", "desire": "want",
    "disappointment": "disappointed", "disapproval": "disagree", "disgust": "gross",
    "embarrassment": "embarrassed", "excitement": "excited", "fear": "scared", "gratitude": "thanks",
    "grief": "rip", "joy": "happy", "love": "love", "nervousness": "nervous", "optimism": "hopefully",
    "pride": "proud", "realization": "oh", "relief": "relieved", "remorse": "sorry", "sadness": "sad",
    "surprise": "wow",
}


def build(data: Path, min_texts: int, min_labelled: int, min_lift: float) -> dict:
    from emoscope.data.goemotions import read_goemotions
    from emoscope.text.normalize import emoji_key, find_emoji

    rows = read_goemotions(data, "train")
    labels = list(rows.labels)
    targets = np.asarray(rows.targets, dtype=bool)
    prior = targets.mean(axis=0)
    texts_with = defaultdict(set)
    for i, text in enumerate(rows.texts):
        for match in find_emoji(text):
            texts_with[emoji_key(match)].add(i)
    table, unclear = {}, {}
    for key, where in sorted(texts_with.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        if len(where) < min_texts:
            continue
        counts = targets[sorted(where)].sum(axis=0)
        best, best_score = None, 0.0
        for j, label in enumerate(labels):
            lift = counts[j] / len(where) / prior[j] if prior[j] else 0.0
            score = counts[j] * math.log(lift) if lift > 1 else 0.0
            if label != "neutral" and counts[j] >= min_labelled and lift >= min_lift and score > best_score:
                best, best_score = j, score
        record = {"texts": len(where)}
        if best is None:
            unclear[key] = record
            continue
        table[key] = {"word": LABEL_WORDS[labels[best]], "label": labels[best], **record,
                      "labelled": int(counts[best]), "lift": round(float(counts[best] / len(where) / prior[best]), 2)}
    return {"source": "GoEmotions train", "min_texts": min_texts, "min_labelled": min_labelled,
            "min_lift": min_lift, "label_words": LABEL_WORDS, "emoji": table, "unclear": unclear}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(REPO.parent / "shared/datasets/goemotions"))
    parser.add_argument("--min-texts", type=int, default=8)
    parser.add_argument("--min-labelled", type=int, default=5)
    parser.add_argument("--min-lift", type=float, default=2.0)
    parser.add_argument("--output", default=str(OUTPUT))
    args = parser.parse_args()
    table = build(Path(args.data), args.min_texts, args.min_labelled, args.min_lift)
    Path(args.output).write_text(json.dumps(table, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for key, entry in table["emoji"].items():
        print(f"{key}\t{entry['word']}\t{entry['label']} {entry['labelled']}/{entry['texts']} lift {entry['lift']}")
    print(f"{len(table['emoji'])} emoji and emoticons written to {args.output}; "
          f"{len(table['unclear'])} common without a clear label: {' '.join(table['unclear'])}")


if __name__ == "__main__":
    main()
