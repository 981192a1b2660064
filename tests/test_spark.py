"""emoscope.spark.annotate on a real local[2] Spark session, checked against the real CLI."""

import os
import sys

import numpy as np
import pandas as pd
import pytest

from tests.helpers import run_cli

pyspark = pytest.importorskip("pyspark")
ROWS = 240


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable  # workers must use this environment
    session = (SparkSession.builder.master("local[2]").appName("emoscope-test")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_spark_annotations_equal_the_cli(spark, goemotions_dir, tmp_path):
    from emoscope.spark import annotate

    texts = [line.split("\t", 1)[0] for line in
             (goemotions_dir / "test.tsv").read_text(encoding="utf-8").splitlines()[:ROWS]]
    texts[3] = ""
    frame = pd.DataFrame({"row": range(ROWS), "text": texts})
    source = tmp_path / "in.csv"
    frame.to_csv(source, index=False)
    result = run_cli("analyze", "--input", source, "--output", tmp_path / "cli.parquet")
    assert result.returncode == 0, result.stderr
    expected = pd.read_parquet(tmp_path / "cli.parquet")

    df = spark.createDataFrame(frame).repartition(2)
    assert df.rdd.getNumPartitions() == 2
    got = annotate(df, text_col="text").toPandas().sort_values("row").reset_index(drop=True)
    assert list(got.columns) == list(expected.columns)
    assert len(got) == ROWS
    for column in expected.columns:
        if column in ("row", "text"):
            continue
        if expected[column].dtype.kind == "f":  # Spark batches texts differently: rounding may flip
            assert np.allclose(got[column], expected[column], atol=2e-6), column
        else:
            assert got[column].tolist() == expected[column].tolist(), column
    assert (got["labels"] != "").all() and got.loc[3, "empty"]


def test_spark_annotate_names_a_missing_column(spark):
    from emoscope.errors import UnknownColumnError
    from emoscope.spark import annotate

    df = spark.createDataFrame(pd.DataFrame({"body": ["hi"]}))
    with pytest.raises(UnknownColumnError, match="body"):
        annotate(df, text_col="text")


def test_spark_reads_each_text_as_its_detected_language(spark):
    """``annotate(..., model="semeval-multilingual-e5", language="auto")``: each text as the
    language the model detects, as ``EmotionModel.for_language("auto")`` annotates it."""
    from emoscope import EmotionModel
    from emoscope.spark import annotate

    texts = ["Ich hasse dich! Du hast alles ruiniert, ich bin so wütend!", "Я так счастлив сегодня!",
             "I am so scared of the dark.", "¡Estoy tan feliz hoy!", ""]
    frame = pd.DataFrame({"row": range(len(texts)), "text": texts})
    got = annotate(spark.createDataFrame(frame).repartition(2), model="semeval-multilingual-e5",
                   language="auto").toPandas().sort_values("row").reset_index(drop=True)
    expected = EmotionModel.load("semeval-multilingual-e5").for_language("auto").annotate(frame)
    assert got["labels"].tolist() == expected["labels"].tolist()
    assert "anger" in got.loc[0, "labels"]
    for column in (c for c in expected.columns if c.startswith("score_")):
        assert np.allclose(got[column], expected[column], atol=2e-6), column
