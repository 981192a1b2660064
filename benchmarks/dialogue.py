"""Speed of the dialogue model (``meld-context-minilm``) on MELD test dialogues.

Each run labels ``--dialogues`` test dialogues as ``emoscope dialogue`` (``analyze_dialogues``)
does: one ``predict_dialogues`` call for all of them, so turns are batched across dialogues (each
turn read with the turns around it).  In the same alternating runs: the same model called once per
dialogue (``predict_turns``, as before turns were batched across dialogues), and as the baseline
the default text model (``multidomain-minilm``) on the same turns in one ``predict`` call, each
turn read alone.  Median of ``--runs``.  Then the dialogue model once more at batch size 1 instead
of its own, and the largest change of a turn's scores and how many turns change label: a graph
that quantized activations per run (dynamic int8) would couple a turn to the turns batched beside
it.

    python benchmarks/dialogue.py --data ../shared/datasets/meld --threads 2
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
    parser.add_argument("--data", default=str(REPO.parent / "shared/datasets/meld"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dialogues", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from emoscope import EmotionModel
    from emoscope.data.meld import read_meld
    from emoscope.text.context import ContextEmotionModel

    dialogues = list(read_meld(Path(args.data), "test").dialogue_turns())[:args.dialogues]
    turns = sum(len(texts) for _, texts in dialogues)
    context = ContextEmotionModel.load(num_threads=args.threads)
    default = EmotionModel.load(num_threads=args.threads)
    every_turn = [text for _, texts in dialogues for text in texts]
    context.predict_turns(*dialogues[0]), default.predict(dialogues[0][1])  # warm up
    runners = {f"dialogue model ({context.name}, turn + context, dialogues batched together)":
               lambda: context.predict_dialogues(dialogues),
               f"dialogue model ({context.name}, one dialogue a call)":
               lambda: [context.predict_turns(speakers, texts) for speakers, texts in dialogues],
               f"default model ({default.name}, turn alone)": lambda: default.predict(every_turn)}
    seconds = alternating_seconds(runners, args.runs)
    speed = {name: turns / statistics.median(s) for name, s in seconds.items()}
    for name, value in speed.items():
        print(f"{name}: {value:.1f} turns/s ({len(dialogues)} dialogues, {turns} turns, "
              f"{args.threads} threads, median of {args.runs})")
    dialogue_name, one_by_one_name, default_name = speed
    print(f"ratio dialogue / default model: {speed[dialogue_name] / speed[default_name]:.2f}x; "
          f"dialogues batched together / one a call: {speed[dialogue_name] / speed[one_by_one_name]:.2f}x")

    alone = ContextEmotionModel(EmotionModel.load(context.directory, num_threads=args.threads, batch_size=1))
    own = np.concatenate(context.dialogue_scores(dialogues))
    one_by_one = np.concatenate([alone.turn_scores(s, t) for s, t in dialogues])
    changed = int((own.argmax(1) != one_by_one.argmax(1)).sum())
    largest = float(np.abs(own - one_by_one).max())
    print(f"batch size {context.model.config.batch_size} against 1: largest score change {largest:.2e}, "
          f"turns whose label changes: {changed} of {turns}")
    print(json.dumps({"dialogues": len(dialogues), "turns": turns, "threads": args.threads,
                      "turns_per_second": speed, "batch_size": context.model.config.batch_size,
                      "largest_change_at_batch_1": largest, "labels_changed_at_batch_1": changed}))


if __name__ == "__main__":
    main()
