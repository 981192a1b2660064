"""emoscope report: a self-contained HTML file, opened in a real headless Chromium."""

import re

import numpy as np
import pandas as pd
import pytest

from tests.helpers import assert_clean_error, headless_chromium, needs_chromium, run_cli

pytest.importorskip("plotly")
ROWS = 400


@pytest.fixture(scope="module")
def annotated(tmp_path_factory, goemotions_dir):
    folder = tmp_path_factory.mktemp("report")
    texts = [line.split("\t", 1)[0] for line in
             (goemotions_dir / "test.tsv").read_text(encoding="utf-8").splitlines()[:ROWS]]
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "text": texts,
        "forum": rng.choice(["news", "games", "pets"], ROWS),
        "posted": pd.date_range("2024-01-01", periods=ROWS, freq="6h").astype(str),
    })
    source = folder / "in.csv"
    frame.to_csv(source, index=False)
    out = folder / "annotated.parquet"
    result = run_cli("analyze", "--input", source, "--output", out)
    assert result.returncode == 0, result.stderr
    # the shipped model's VAD head writes valence/arousal columns; a table without them (a
    # custom model's, or an older run's) gets no VAD chart
    with_vad = pd.read_parquet(out)
    assert with_vad["valence"].between(1, 5).all() and with_vad["arousal"].between(1, 5).all()
    with_vad.to_parquet(folder / "with_vad.parquet")
    with_vad.drop(columns=["valence", "arousal", "dominance"]).to_parquet(folder / "no_vad.parquet")
    return folder


def open_report(path, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = headless_chromium(tmp_path, offline=True)
    try:
        driver.get(path.as_uri())
        WebDriverWait(driver, 30).until(lambda d: d.execute_script(
            "return document.querySelectorAll('section.chart').length > 0 && "
            "[...document.querySelectorAll('section.chart .js-plotly-plot')]"
            ".every(p => p.querySelector('.main-svg') && p.data && p.data.length > 0)"))
        sections = driver.find_elements(By.CSS_SELECTOR, "section.chart")
        titles = [s.get_attribute("data-title") for s in sections]
        drawn = driver.execute_script(
            "return [...document.querySelectorAll('section.chart')].map(s => {"
            " const p = s.querySelector('.js-plotly-plot');"
            " return p ? p.querySelectorAll('.main-svg').length > 0 && p.data.length : 0; })")
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        return titles, drawn, errors
    finally:
        driver.quit()


@needs_chromium
def test_report_shows_every_chart_without_console_errors(annotated, tmp_path):
    target = tmp_path / "report.html"
    result = run_cli("report", annotated / "with_vad.parquet", "-o", target, "--by", "forum",
                     "--time", "posted")
    assert result.returncode == 0, result.stderr
    document = target.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*\bsrc=", document)  # plotly.js is inline, nothing is fetched
    titles, drawn, errors = open_report(target, tmp_path)
    assert titles == ["Emotion distribution", "Ekman categories", "Emotions that occur together",
                      "Valence and arousal", "Emotions over time", "Emotions by forum"]
    assert all(n >= 1 for n in drawn), drawn
    assert drawn[4] == 6  # one line per frequent emotion over time
    assert errors == []


@needs_chromium
def test_report_without_vad_time_or_groups_has_the_core_charts(annotated, tmp_path):
    target = tmp_path / "plain.html"
    assert run_cli("report", annotated / "no_vad.parquet", "-o", target).returncode == 0
    titles, drawn, errors = open_report(target, tmp_path)
    assert titles == ["Emotion distribution", "Ekman categories", "Emotions that occur together"]
    assert all(drawn) and errors == []


def test_report_errors_name_the_problem(annotated, tmp_path):
    assert_clean_error(run_cli("report", annotated / "annotated.parquet", "-o", tmp_path / "r.html",
                               "--by", "nope"), 5, "nope", "--by")
    assert_clean_error(run_cli("report", annotated / "annotated.parquet", "-o", tmp_path / "r.html",
                               "--time", "forum"), 6, "forum")
    plain = tmp_path / "plain.csv"
    plain.write_text("text\nhello\n")
    assert_clean_error(run_cli("report", plain, "-o", tmp_path / "r.html"), 5, "labels")
    assert_clean_error(run_cli("report", tmp_path / "missing.csv", "-o", tmp_path / "r.html"), 3)
    assert not (tmp_path / "r.html").exists()
