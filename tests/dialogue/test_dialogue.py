"""Dialogues: reading turns, dynamics by hand, the real CLI, and the plot in headless Chromium."""

import json

import numpy as np
import pandas as pd
import pytest

from emoscope.dialogue import analyze_dialogue, analyze_dialogues, dialogue_dynamics, read_dialogues
from tests.helpers import assert_clean_error, DATASETS, headless_chromium, needs_chromium, run_cli

SPEAKERS = ["A", "B", "A", "B", "A", "B", "A"]
EMOTIONS = ["joy", "joy", "joy", "anger", "anger", "anger", "sadness"]


def test_inertia_and_contagion_match_hand_computed_values():
    d = dialogue_dynamics(SPEAKERS, EMOTIONS)
    # A: joy, joy (kept), anger (shift), sadness (shift) -> 1 of 3; B: joy, anger (shift), anger (kept) -> 1 of 2
    assert d.speakers["A"].inertia == pytest.approx(1 / 3)
    assert d.speakers["B"].inertia == pytest.approx(1 / 2)
    assert d.inertia == pytest.approx(2 / 5)
    # the latest other speaker's emotion is taken at turns 2, 3, 5, 6 (1-based), not at 4 and 7;
    # turn 1 has no earlier turn by another speaker
    assert d.contagion == pytest.approx(4 / 6)
    assert d.speakers["A"].contagion == pytest.approx(2 / 3)
    assert d.speakers["B"].contagion == pytest.approx(2 / 3)
    assert d.shifts == [{"turn": 3, "speaker": "B", "from": "joy", "to": "anger"},
                        {"turn": 4, "speaker": "A", "from": "joy", "to": "anger"},
                        {"turn": 6, "speaker": "A", "from": "anger", "to": "sadness"}]
    assert d.speakers["A"].trajectory == ["joy", "joy", "anger", "sadness"]


def test_single_turn_and_monologue_have_no_contagion():
    assert dialogue_dynamics(["A"], ["joy"]).contagion is None
    monologue = dialogue_dynamics(["A", "A", "A"], ["joy", "joy", "fear"])
    assert monologue.contagion is None and monologue.inertia == pytest.approx(1 / 2)


def write(tmp_path, text, name="chat.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_unordered_turns_are_sorted_and_empty_text_is_neutral(tmp_path, model):
    path = write(tmp_path, "dialogue_id,turn,speaker,text\n"
                           "1,2,Ann,I am so angry at you right now!\n"
                           "1,1,Bob,Thank you so much for the lovely gift!\n"
                           "1,3,Bob,\n")
    [dialogue] = read_dialogues(str(path))
    assert dialogue.reordered and [t.id for t in dialogue.turns] == ["1", "2", "3"]
    result = analyze_dialogue(model, dialogue)
    assert [t.emotion for t in result.turns] == ["joy", "anger", "neutral"]
    assert result.turns[2].result.empty
    assert result.dynamics.speakers["Bob"].shifts == 1


def test_python_api_takes_dicts(model):
    result = analyze_dialogue(model, [{"speaker": "a", "text": "This is wonderful, I love it!"},
                                      {"speaker": "b", "text": "I love it too, so happy!"}])
    assert [t.emotion for t in result.turns] == ["joy", "joy"]
    assert result.dynamics.contagion == 1.0


def test_analyze_dialogues_batches_across_dialogues_and_keeps_each_dialogues_result(meld_sample, model):
    dialogues = read_dialogues(str(meld_sample)) * 3
    one_by_one = [analyze_dialogue(model, d) for d in dialogues]
    # groups of about 7 turns: group borders fall inside the list, never inside a dialogue
    together = list(analyze_dialogues(model, iter(dialogues), turns_per_run=7))
    assert [r.id for r in together] == [r.id for r in one_by_one] and len(together) == 6
    for batched, alone in zip(together, one_by_one):
        assert [t.emotion for t in batched.turns] == [t.emotion for t in alone.turns]
        assert [t.result.labels for t in batched.turns] == [t.result.labels for t in alone.turns]
        assert batched.dynamics.to_dict() == alone.dynamics.to_dict()
        np.testing.assert_allclose([t.emotion_score for t in batched.turns], [t.emotion_score for t in alone.turns],
                                   atol=1e-5)


def test_malformed_dialogue_files_give_clear_errors(tmp_path):
    no_speaker = write(tmp_path, "dialogue_id,turn,text\n1,1,hello\n")
    assert_clean_error(run_cli("dialogue", no_speaker), 5, "speaker", "--speaker-column", "dialogue_id, turn, text")
    twice = write(tmp_path, "dialogue_id,turn,speaker,text\n7,1,a,hi\n7,1,b,hello\n", "twice.csv")
    assert_clean_error(run_cli("dialogue", twice), 6, "dialogue '7'", "turn id 1 more than once")
    words = write(tmp_path, "dialogue_id,turn,speaker,text\n1,first,a,hi\n", "words.csv")
    assert_clean_error(run_cli("dialogue", words), 6, "row 1", "'first' is not a number")
    nobody = write(tmp_path, "dialogue_id,turn,speaker,text\n1,1,a,hi\n1,2,,hello\n", "nobody.csv")
    assert_clean_error(run_cli("dialogue", nobody), 6, "row 2", "no speaker")
    custom = write(tmp_path, "conv,who,said\nx,a,hi\n", "custom.csv")
    assert_clean_error(run_cli("dialogue", custom, "--speaker-column", "speaker_name"), 5, "speaker_name")
    result = run_cli("dialogue", custom, "--dialogue-column", "conv", "--speaker-column", "who",
                     "--text-column", "said", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["dialogues"][0]["turns"][0]["speaker"] == "a"


@pytest.fixture
def meld_sample(tmp_path):
    source = DATASETS / "meld" / "dev_sent_emo.csv"
    if not source.is_file():
        pytest.skip(f"MELD not found at {source}")
    lines = source.read_text(encoding="utf-8").splitlines()
    return write(tmp_path, "\n".join(lines[:13]) + "\n", "meld.csv")  # dialogues 0 and 1


def test_meld_csv_works_with_no_options(meld_sample, tmp_path):
    out = tmp_path / "turns.csv"
    result = run_cli("dialogue", meld_sample, "--json", "--output", out)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert [d["dialogue"] for d in payload["dialogues"]] == ["0", "1"]
    assert [len(d["turns"]) for d in payload["dialogues"]] == [2, 10]
    assert payload["dialogues"][1]["turns"][0]["speaker"] == "Ross"
    assert set(payload["corpus"]) >= {"inertia", "contagion", "speakers"}
    assert len(out.read_text(encoding="utf-8").splitlines()) == 13  # header + 12 turns
    table = run_cli("dialogue", meld_sample)
    assert table.returncode == 0 and "Chandler" in table.stdout and "contagion" in table.stdout


@needs_chromium
def test_plot_opens_in_headless_chromium_with_one_line_per_speaker(meld_sample, tmp_path):
    pytest.importorskip("plotly")
    plot = tmp_path / "plot.html"
    result = run_cli("dialogue", meld_sample, "--plot", plot, "--json")
    assert result.returncode == 0, result.stderr
    speakers = list(dict.fromkeys(t["speaker"] for t in json.loads(result.stdout)["dialogues"][1]["turns"]))
    driver = headless_chromium(tmp_path, offline=True)
    try:
        driver.get(plot.as_uri())
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(driver, 30).until(lambda d: d.execute_script(
            "const p = document.getElementById('dialogue-1'); return p && p.data && p.querySelector('.main-svg');"))
        names = driver.execute_script(
            "return document.getElementById('dialogue-1').data.filter(t => t.yaxis === 'y' || !t.yaxis).map(t => t.name);")
        drawn = driver.execute_script(
            "return document.querySelectorAll('#dialogue-1 .scatterlayer .trace').length;")
        colours = driver.execute_script(  # emotion panel, then sentiment panel
            "const d = document.getElementById('dialogue-1').data;"
            "return [d.filter(t => t.yaxis === 'y' || !t.yaxis).map(t => t.line.color),"
            "        d.filter(t => t.yaxis === 'y2').map(t => t.line.color)];")
        legends = driver.execute_script(  # the legend each panel's traces are listed in
            "const d = document.getElementById('dialogue-1').data;"
            "return [...new Set(d.filter(t => t.showlegend !== false).map(t => t.legend || 'legend'))];")
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    finally:
        driver.quit()
    assert names == speakers  # one emotion line per speaker
    assert drawn == 2 * len(speakers)  # and one sentiment line each
    assert colours[0] == colours[1] and len(set(colours[0])) == len(speakers)  # a speaker's colour in both
    assert legends == ["legend", "legend2"]  # the sentiment panel has its own legend
    assert errors == []


def test_limit_analyses_the_first_dialogues_and_files_hold_the_result_schema(meld_sample, tmp_path):
    out = tmp_path / "turns.parquet"
    result = run_cli("dialogue", meld_sample, "--json", "--limit", "1", "--output", out)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert [d["dialogue"] for d in payload["dialogues"]] == ["0"]
    rows = pd.read_parquet(out)
    assert len(rows) == 2
    turn = payload["dialogues"][0]["turns"][0]
    assert rows.loc[0, "labels"] == ";".join(turn["labels"]) and rows.loc[0, "top_label"] == turn["top_label"]
    assert rows.loc[0, "score_joy"] == pytest.approx(turn["scores"]["joy"])
    assert rows.loc[0, "valence"] == pytest.approx(turn["vad"]["valence"])
    assert all(not isinstance(v, (dict, list, np.ndarray)) for v in rows.iloc[0])  # flat, no nested structs


def test_no_context_flag_and_emotion_source(meld_sample):
    with_context = json.loads(run_cli("dialogue", meld_sample, "--json").stdout)
    without = json.loads(run_cli("dialogue", meld_sample, "--json", "--no-context").stdout)
    assert with_context["dialogues"][0]["emotion_source"] == "meld-context-minilm"
    assert without["dialogues"][0]["emotion_source"] == "ekman rollup (no context)"
