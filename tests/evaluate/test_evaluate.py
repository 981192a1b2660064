"""``emoscope evaluate``: clear errors, the default split of each dataset, and what it prints.

That the shipped cards' numbers are what ``evaluate`` measures on the full datasets is checked in
tests/test_cards.py; the runs here read small slices of the datasets."""

import json

import numpy as np
import pandas as pd
import pytest

from tests.helpers import assert_clean_error, DATASETS, needs, run_cli

EMOBANK = DATASETS / "emobank"
TRACK_A = DATASETS / "semeval2025-task11" / "track_a"
TRACK_B = DATASETS / "semeval2025-task11" / "track_b"
ROWS = 40


def test_evaluate_errors(cli, tmp_path):
    assert_clean_error(cli("evaluate", "--data", tmp_path), 3, "labels.txt")
    assert_clean_error(cli("evaluate", "--dataset", "imdb", "--data", tmp_path), 4, "imdb")


def test_head_evaluation_errors_are_clear(tmp_path):
    needs(TRACK_B)
    result = run_cli("evaluate", "--dataset", "intensity", "--data", TRACK_B, "--split", "test")
    assert result.returncode == 3 and "no 'test' split" in result.stderr
    result = run_cli("evaluate", "--dataset", "emobank", "--data", tmp_path)
    assert result.returncode == 3 and "emobank.csv" in result.stderr


def test_semeval_a_names_a_language_it_has_no_file_for():
    needs(TRACK_A / "dev")
    shown = run_cli("evaluate", "--dataset", "semeval-a", "--data", TRACK_A, "--language", "xx")
    assert shown.returncode == 3 and "no file for xx" in shown.stderr


def test_evaluate_goemotions_prints_the_label_table_and_calibration(cli, goemotions_dir, tmp_path):
    data = tmp_path / "goemotions"
    data.mkdir()
    (data / "labels.txt").write_bytes((goemotions_dir / "labels.txt").read_bytes())
    lines = (goemotions_dir / "test.tsv").read_text(encoding="utf-8").splitlines()[:200]
    (data / "test.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = tmp_path / "report.json"
    result = cli("evaluate", "--dataset", "goemotions", "--data", data, "--split", "test", "--report", report)
    assert result.returncode == 0, result.stderr
    assert "macro-F1" in result.stdout and "grief" in result.stdout
    assert "expected calibration error" in result.stdout
    payload = json.loads(report.read_text())
    assert payload["split"] == "test" and payload["n_texts"] == 200
    assert len(payload["per_label"]) == 28


def test_evaluate_heads_default_to_the_splits_with_public_labels(tmp_path):
    needs(EMOBANK)
    needs(TRACK_B)
    frame = pd.read_csv(EMOBANK / "emobank.csv", keep_default_na=False)
    frame.groupby("split", sort=False).head(ROWS).to_csv(tmp_path / "emobank.csv", index=False)
    result = run_cli("evaluate", "--dataset", "emobank", "--data", tmp_path / "emobank.csv", "--json")
    assert result.returncode == 0, result.stderr
    vad = json.loads(result.stdout)
    assert vad["split"] == "test" and vad["n_texts"] == ROWS
    assert set(vad["pearson_r"]) == {"valence", "arousal", "dominance"}

    track_b = tmp_path / "track_b"
    for split in ("train", "dev"):
        (track_b / split).mkdir(parents=True)
        pd.read_csv(TRACK_B / split / "eng.csv").head(ROWS).to_csv(track_b / split / "eng.csv", index=False)
    result = run_cli("evaluate", "--dataset", "intensity", "--data", track_b, "--json")
    assert result.returncode == 0, result.stderr
    intensity = json.loads(result.stdout)
    assert intensity["split"] == "dev" and intensity["n_texts"] == ROWS
    assert set(intensity["pearson_r"]) == {"anger", "fear", "joy", "sadness", "surprise"}


def test_evaluate_semeval_a_scores_only_the_languages_asked_for(tmp_path):
    needs(TRACK_A / "dev")
    for language in ("deu", "eng", "hau"):
        (tmp_path / "dev").mkdir(exist_ok=True)
        pd.read_csv(TRACK_A / "dev" / f"{language}.csv").head(ROWS).to_csv(tmp_path / "dev" / f"{language}.csv",
                                                                             index=False)
    result = run_cli("evaluate", "--dataset", "semeval-a", "--data", tmp_path, "--language", "deu",
                     "--language", "hau", "--json", "--threads", "2")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)["languages"]
    assert set(printed) == {"deu", "hau"}
    for language in printed:
        assert {"macro_f1", "macro_f1_shared_thresholds"} <= set(printed[language])


def test_evaluate_semeval_a_prints_the_tfidf_baseline_and_the_difference(tmp_path):
    """With a train/ folder beside dev/, each language's row shows the model, the TF-IDF baseline
    (fitted on that train split, thresholds chosen on the scored rows) and model - baseline."""
    needs(TRACK_A / "dev")
    pytest.importorskip("sklearn")
    for split, rows in (("train", 400), ("dev", ROWS)):
        (tmp_path / split).mkdir()
        for language in ("deu", "eng"):  # English has no disgust column
            pd.read_csv(TRACK_A / split / f"{language}.csv").head(rows).to_csv(tmp_path / split / f"{language}.csv",
                                                                                index=False)
    # 80 columns (rich's width for a pipe): the 12-column table is printed wider, not cut to "0.4…"
    result = run_cli("evaluate", "--dataset", "semeval-a", "--data", tmp_path, "--threads", "2", columns=80)
    assert result.returncode == 0, result.stderr
    assert "TF-IDF baseline" in result.stdout and "difference" in result.stdout and "…" not in result.stdout
    printed = json.loads(run_cli("evaluate", "--dataset", "semeval-a", "--data", tmp_path, "--threads", "2",
                                 "--json").stdout)
    for language, row in printed["languages"].items():
        assert 0 <= row["tfidf_baseline_macro_f1"] <= 1, language
        assert f"{row['macro_f1'] - row['tfidf_baseline_macro_f1']:+.4f}" in result.stdout
    assert printed["mean_tfidf_baseline_macro_f1"] == pytest.approx(
        np.mean([r["tfidf_baseline_macro_f1"] for r in printed["languages"].values()]))
