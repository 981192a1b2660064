"""Speed and batch independence of the shipped int8 model at several model batch sizes.

Dynamic int8 quantization picks one activation scale per model run, so with batches of more
than one text a text's scores depend on the texts that happen to share its batch.  This script
measures, in one process on the same GoEmotions test texts:

- texts/s per batch size (median of ``--runs`` alternating runs);
- how many texts change their predicted labels, and the largest score change, when the same
  texts are predicted in a shuffled order in calls of 100 instead of one call.

    python benchmarks/batch_size.py --data ../shared/datasets/goemotions --threads 2
"""

from __future__ import annotations

import argparse
import random
import statistics
from pathlib import Path

from timing import alternating_seconds

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(REPO.parent / "shared/datasets/goemotions"))
    parser.add_argument("--model", default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch-sizes", default="1,8,32")
    args = parser.parse_args()

    from emoscope.data.goemotions import read_goemotions
    from emoscope.text.model import EmotionModel

    texts = read_goemotions(args.data, "test").texts[:args.texts]
    sizes = [int(s) for s in args.batch_sizes.split(",")]
    models = {b: EmotionModel.load(args.model, num_threads=args.threads, batch_size=b) for b in sizes}
    for model in models.values():
        model.predict(texts[:64])  # warm-up
    times = alternating_seconds({b: (lambda m=model: m.predict(texts)) for b, model in models.items()}, args.runs)
    baseline = statistics.median(times[sizes[-1]])
    print(f"{len(texts)} texts, {args.threads} threads, median of {args.runs} runs; "
          f"baseline: batch size {sizes[-1]}")
    print(f"{'batch':>6} {'texts/s':>9} {'vs base':>8} {'label changes':>14} {'max score change':>17}")
    order = list(range(len(texts)))
    random.Random(0).shuffle(order)
    for b, model in models.items():
        whole = model.predict(texts)
        pieces = [None] * len(texts)
        for begin in range(0, len(order), 100):
            chunk = order[begin:begin + 100]
            for i, result in zip(chunk, model.predict([texts[i] for i in chunk])):
                pieces[i] = result
        changed = sum(a.labels != p.labels for a, p in zip(whole, pieces))
        delta = max(abs(a.scores[l] - p.scores[l]) for a, p in zip(whole, pieces) for l in a.scores)
        median = statistics.median(times[b])
        print(f"{b:>6} {len(texts) / median:>9.1f} {baseline / median:>7.2f}x {changed:>14} {delta:>17.4f}")


if __name__ == "__main__":
    main()
