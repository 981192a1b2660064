"""Speed of ``semeval-multilingual-e5`` on SemEval 2025 track A dev texts, with and without the
language's TF-IDF head, and whether a text's scores depend on the texts batched beside it.

For each run the same texts (``--per-language`` dev texts of each language, 28 languages) are
labelled language by language: once as ``for_language(language)`` reads them (encoder + the
language's TF-IDF head) and once without a language (the encoder alone), and, for a model with a
language identifier, all together as ``for_language("auto")`` reads them (each text's language
detected, then its head); runs alternate, median of ``--runs``.  Then each language's first 50 texts are scored one at a time and compared with the
scores they got in one call.

    python benchmarks/languages.py --data ../shared/datasets/semeval2025-task11/track_a --threads 2
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import numpy as np
from timing import alternating_seconds

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(REPO.parent / "shared/datasets/semeval2025-task11/track_a"))
    parser.add_argument("--model", default="semeval-multilingual-e5")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--per-language", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from emoscope.data.semeval import read_track_a
    from emoscope.text.model import EmotionModel

    dev = read_track_a(args.data, "dev")
    texts = {language: split.texts[:args.per_language] for language, split in dev.items()}
    n = sum(len(t) for t in texts.values())
    model = EmotionModel.load(args.model, num_threads=args.threads)
    own = {language: model.for_language(language) for language in texts}
    model.predict(texts["eng"][:16]), own["eng"].predict(texts["eng"][:16])  # warm up
    runners = {"with the language's TF-IDF head": lambda: [own[l].predict(t) for l, t in texts.items()],
               "encoder alone (no language)": lambda: [model.predict(t) for t in texts.values()]}
    if model.files.language_id is not None:
        detecting, mixed = model.for_language("auto"), [t for some in texts.values() for t in some]
        runners["language detected (auto), one call"] = lambda: detecting.predict(mixed)
    seconds = alternating_seconds(runners, args.runs)
    speed = {name: n / statistics.median(s) for name, s in seconds.items()}
    for name, value in speed.items():
        print(f"{name}: {value:.1f} texts/s ({n} texts, {args.threads} threads, median of {args.runs})")
    largest = 0.0
    for language, some in texts.items():
        together = own[language].predict_proba(some[:50])
        alone = np.concatenate([own[language].predict_proba([t]) for t in some[:50]])
        largest = max(largest, float(np.abs(together - alone).max()))
    print(f"largest score change, one call vs one text at a time: {largest:.2e}")
    print(json.dumps({"texts": n, "threads": args.threads, "texts_per_second": speed,
                      "largest_batch_change": largest}))


if __name__ == "__main__":
    main()
