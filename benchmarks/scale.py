"""Corpus scale: rows/s of the single-process CLI and of Spark local[2], and the CLI's peak memory
on 200,000 rows against 20,000 rows.

Inputs are CSV files of GoEmotions train texts (the 200,000-row file repeats them in order).
Baseline: the single-process CLI (`emoscope analyze --input X.csv --output Y.parquet`) on the same
20,000 rows, in the same session.  Spark runs `emoscope.spark.annotate` through `mapInPandas`
on a `local[2]` session (one Python worker per core, one ONNX thread each) and writes Parquet.

    python benchmarks/scale.py --data ../shared/datasets/goemotions --runs 3

Needs pyspark and Java 17 for the Spark rows (`--skip-spark` leaves them out).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def write_corpus(texts: list[str], rows: int, path: Path) -> Path:
    import pandas as pd

    repeated = [texts[i % len(texts)] for i in range(rows)]
    pd.DataFrame({"id": range(rows), "text": repeated}).to_csv(path, index=False)
    return path


def cli_run(source: Path, target: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one `emoscope analyze` process."""
    target.unlink(missing_ok=True)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "emoscope", "analyze", "--input", str(source),
                             "--output", str(target)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(proc.stderr.read().decode())
    return wall, usage.ru_maxrss / 1024


def spark_runs(source: Path, out_dir: Path, rows: int, runs: int) -> tuple[float, list[float]]:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    start = time.perf_counter()
    from pyspark.sql import SparkSession

    from emoscope.spark import annotate

    spark = (SparkSession.builder.master("local[2]").appName("emoscope-scale")
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    startup = time.perf_counter() - start
    times = []
    try:
        for run in range(runs):
            df = (spark.read.option("header", True).option("multiLine", True).option("escape", '"')
                  .csv(str(source)).repartition(2))
            begin = time.perf_counter()
            annotate(df, "text").write.mode("overwrite").parquet(str(out_dir / f"spark-{run}"))
            times.append(time.perf_counter() - begin)
            written = spark.read.parquet(str(out_dir / f"spark-{run}")).count()
            assert written == rows, (written, rows)
    finally:
        spark.stop()
    return startup, times


def main() -> None:
    import warnings

    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(REPO.parent / "shared/datasets/goemotions"))
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--big-rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each 20,000-row job")
    parser.add_argument("--big-runs", type=int, default=1, help="runs of the 200,000-row job")
    parser.add_argument("--skip-spark", action="store_true")
    args = parser.parse_args()

    with open(Path(args.data) / "train.tsv", encoding="utf-8") as handle:
        texts = [line.split("\t", 1)[0] for line in handle]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        small = write_corpus(texts, args.rows, tmp / "small.csv")
        big = write_corpus(texts, args.big_rows, tmp / "big.csv")
        cli = [cli_run(small, tmp / "small.parquet") for _ in range(args.runs)]
        cli_big = [cli_run(big, tmp / "big.parquet") for _ in range(args.big_runs)]
        spark = None if args.skip_spark else spark_runs(small, tmp, args.rows, args.runs)

    cli_wall = statistics.median(w for w, _ in cli)
    print(f"GoEmotions train texts; medians of {args.runs} runs ({args.big_runs} for {args.big_rows:,} rows); "
          f"{os.cpu_count()} cores; baseline: single-process CLI on {args.rows:,} rows")
    print(f"{'job':<34} {'rows':>8} {'seconds':>8} {'rows/s':>8} {'vs base':>8} {'peak RSS MB':>12}")
    print(f"{'CLI (baseline)':<34} {args.rows:>8,} {cli_wall:>8.1f} {args.rows / cli_wall:>8.1f} "
          f"{1.0:>7.2f}x {statistics.median(r for _, r in cli):>12.0f}")
    big_wall = statistics.median(w for w, _ in cli_big)
    print(f"{'CLI':<34} {args.big_rows:>8,} {big_wall:>8.1f} {args.big_rows / big_wall:>8.1f} "
          f"{cli_wall / args.rows * args.big_rows / big_wall:>7.2f}x {statistics.median(r for _, r in cli_big):>12.0f}")
    if spark:
        startup, times = spark
        wall = statistics.median(times)
        print(f"{'Spark local[2] (session up: ' + f'{startup:.1f}s)':<34} {args.rows:>8,} {wall:>8.1f} "
              f"{args.rows / wall:>8.1f} {cli_wall / wall:>7.2f}x {'-':>12}")
        print(f"  Spark runs (s): {', '.join(f'{t:.1f}' for t in times)} (the first loads the model in each worker)")
    ratio = statistics.median(r for _, r in cli_big) / statistics.median(r for _, r in cli)
    print(f"peak RSS {args.big_rows:,} rows / {args.rows:,} rows: {ratio:.3f} "
          f"({'within' if abs(ratio - 1) <= 0.2 else 'NOT within'} 20%)")


if __name__ == "__main__":
    main()
