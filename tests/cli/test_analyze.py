import json

import pandas as pd
import pytest

from tests.helpers import assert_clean_error, read_jsonl

THANKS = "Thank you so much, you made my day!"


def test_analyze_shows_a_table(cli):
    result = cli("analyze", THANKS)
    assert result.returncode == 0, result.stderr
    assert "gratitude" in result.stdout
    assert "ekman:" in result.stdout and "joy" in result.stdout.split("ekman:")[1]


def test_analyze_json(cli):
    result = cli("analyze", "--json", THANKS, "   ")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert "gratitude" in payload[0]["labels"] and "joy" in payload[0]["ekman"]["labels"]
    assert payload[1]["empty"] is True and payload[1]["labels"] == ["neutral"]
    assert set(payload[0]["sentiment"]["scores"]) == {"positive", "negative", "ambiguous", "neutral"}


def test_analyze_with_custom_rollup(cli, tmp_path):
    mapping = tmp_path / "mood.json"
    mapping.write_text(json.dumps({"good": ["gratitude", "joy"], "bad": ["anger"]}))
    result = cli("analyze", "--json", "--rollup", mapping, THANKS)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["mood"]["labels"] == ["good"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"good": ["happiness"]}))
    assert_clean_error(cli("analyze", "--rollup", bad, THANKS), 8, "happiness")


@pytest.fixture
def table(tmp_path):
    frame = pd.DataFrame({"id": ["a", "b", "c"], "body": [THANKS, "I am so scared of tomorrow.", ""],
                          "score": ["1", "2", "3"]})
    return tmp_path, frame


@pytest.mark.parametrize("suffix", ["csv", "tsv", "jsonl", "parquet"])
@pytest.mark.parametrize("out_suffix", ["csv", "jsonl", "parquet"])
def test_analyze_file_formats(cli, table, suffix, out_suffix):
    tmp_path, frame = table
    source = tmp_path / f"in.{suffix}"
    if suffix == "csv":
        frame.to_csv(source, index=False)
    elif suffix == "tsv":
        frame.to_csv(source, index=False, sep="\t")
    elif suffix == "jsonl":
        frame.to_json(source, orient="records", lines=True)
    else:
        frame.to_parquet(source, index=False)
    target = tmp_path / f"out.{out_suffix}"
    result = cli("analyze", "--input", source, "--text-column", "body", "--output", target)
    assert result.returncode == 0, result.stderr
    if out_suffix == "csv":
        out = pd.read_csv(target, dtype={"id": str, "score": str}, keep_default_na=False)
    elif out_suffix == "jsonl":
        out = pd.DataFrame(read_jsonl(target))
    else:
        out = pd.read_parquet(target)
    assert list(out.columns[:3]) == ["id", "body", "score"]
    assert out["id"].tolist() == ["a", "b", "c"]
    assert out["body"].tolist()[:2] == frame["body"].tolist()[:2]
    assert "gratitude" in out["labels"][0].split(";")
    assert "fear" in out["ekman"][1].split(";")
    assert bool(out["empty"][2]) and out["labels"][2] == "neutral"
    assert "score_gratitude" in out.columns
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_analyze_plain_text_from_stdin(cli):
    result = cli("analyze", "--input", "-", input=f"{THANKS}\nI hate waiting in line.\n")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in rows] == [THANKS, "I hate waiting in line."]
    assert "gratitude" in rows[0]["labels"].split(";")


# -- bad input: one-line error, documented exit code, no traceback -----------------------
def test_missing_file(cli, tmp_path):
    assert_clean_error(cli("analyze", "--input", tmp_path / "nope.csv", "--text-column", "t"),
                       3, "nope.csv", "no such file")


def test_unknown_column_lists_columns(cli, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,body\n1,hello\n")
    assert_clean_error(cli("analyze", "--input", source, "--text-column", "text"), 5,
                       "no column 'text'", "columns are: id, body")


def test_undecodable_bytes_name_the_line(cli, tmp_path):
    source = tmp_path / "latin1.csv"
    source.write_bytes("id,text\n1,fine\n2,caf\xe9 au lait\n".encode("latin-1"))
    assert_clean_error(cli("analyze", "--input", source, "--text-column", "text"), 6,
                       "latin1.csv:3:", "not valid UTF-8")


def test_unsupported_formats(cli, tmp_path):
    source = tmp_path / "in.xlsx"
    source.write_bytes(b"PK\x03\x04")
    assert_clean_error(cli("analyze", "--input", source, "--text-column", "text"), 4, ".xlsx")
    good = tmp_path / "in.txt"
    good.write_text("hello\n")
    assert_clean_error(cli("analyze", "--input", good, "--output", tmp_path / "out.xml"), 4, ".xml")


def test_malformed_jsonl_and_csv(cli, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "ok"}\n{"text": broken}\n')
    assert_clean_error(cli("analyze", "--input", source), 6, "in.jsonl:2:", "invalid JSON")
    csv = tmp_path / "in.csv"
    csv.write_text('id,text\n1,"fine"\n2,"never closed\n')
    assert_clean_error(cli("analyze", "--input", csv, "--text-column", "text"), 6, "in.csv")


def test_bad_model_directory(cli, tmp_path):
    assert_clean_error(cli("analyze", "--model", tmp_path, "hello"), 7, "not an emoscope model")


def test_failed_run_leaves_existing_output_untouched(cli, tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("precious\n")
    source = tmp_path / "in.csv"
    source.write_text("id,body\n1,hello\n")
    assert_clean_error(cli("analyze", "--input", source, "--text-column", "nope", "--output", target), 5)
    assert target.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]


def test_encoding_option_reads_excel_csv(cli, tmp_path):
    source = tmp_path / "excel.csv"
    source.write_bytes("text\nCafé crème: I love this place\n".encode("cp1252"))
    assert_clean_error(cli("analyze", "--input", source), 6, "excel.csv:2:4", "--encoding")
    result = cli("analyze", "--input", source, "--encoding", "cp1252")
    assert result.returncode == 0, result.stderr
    assert read_jsonl_text(result.stdout)[0]["text"] == "Café crème: I love this place"
    bom = tmp_path / "bom.csv"
    bom.write_bytes("text\nThank you!\n".encode("utf-8-sig"))
    assert read_jsonl_text(cli("analyze", "--input", bom).stdout)[0]["text"] == "Thank you!"
    assert_clean_error(cli("analyze", "--input", source, "--encoding", "klingon"), 2, "klingon")


def read_jsonl_text(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line]


def test_max_chars_cuts_long_texts_with_a_warning(cli, tmp_path):
    source = tmp_path / "long.jsonl"
    source.write_text(json.dumps({"text": "I am so happy today! " * 500}) + "\n", encoding="utf-8")
    result = cli("analyze", "--input", source, "--max-chars", "200")
    assert result.returncode == 0, result.stderr
    assert "1 text(s) over 200 characters cut to their first 200" in result.stderr
    assert "joy" in read_jsonl_text(result.stdout)[0]["labels"]
    whole = cli("analyze", "--input", source, "--max-chars", "0")
    assert whole.returncode == 0 and "cut" not in whole.stderr


def test_limit_analyses_the_first_rows_and_stops_reading(cli, tmp_path):
    """Rows past the limit are never read: the malformed fifth line stops a run without --limit."""
    source = tmp_path / "posts.jsonl"
    good = [json.dumps({"text": t}) for t in ("I love this", "so sad today", "what a surprise", "I am scared")]
    source.write_text("\n".join(good) + "\n{not json\n", encoding="utf-8")
    whole = cli("analyze", "--input", source, "--chunk-rows", "2")
    assert whole.returncode != 0 and ":5" in whole.stderr
    first = cli("analyze", "--input", source, "--chunk-rows", "2", "--limit", "3")
    assert first.returncode == 0, first.stderr
    assert [row["text"] for row in read_jsonl_text(first.stdout)] == ["I love this", "so sad today", "what a surprise"]
    out = tmp_path / "out.csv"
    written = cli("analyze", "--input", source, "--output", out, "--chunk-rows", "2", "--limit", "3")
    assert written.returncode == 0, written.stderr
    assert list(pd.read_csv(out)["text"]) == ["I love this", "so sad today", "what a surprise"]
    assert cli("analyze", "--limit", "3", "a text").returncode == 2


def test_json_files_and_the_api_share_one_schema_with_labels_by_score(cli, tmp_path):
    text = "Thank you so much, I love it, but I'm nervous about tomorrow"
    payload = json.loads(cli("analyze", "--json", text).stdout)[0]
    scores = payload["scores"]
    assert len(payload["labels"]) > 1
    assert payload["labels"] == sorted(payload["labels"], key=lambda l: -scores[l])
    assert payload["top_label"] == max(scores, key=scores.get)
    assert payload["ekman"]["labels"] == sorted(payload["ekman"]["labels"], key=lambda c: -payload["ekman"]["scores"][c])
    source = tmp_path / "in.csv"
    pd.DataFrame({"text": [text]}).to_csv(source, index=False)
    assert cli("analyze", "--input", source, "--output", tmp_path / "out.csv").returncode == 0
    row = pd.read_csv(tmp_path / "out.csv", keep_default_na=False).iloc[0]
    assert row["labels"] == ";".join(payload["labels"]) and row["top_label"] == payload["top_label"]
    assert row["ekman"] == ";".join(payload["ekman"]["labels"])
    assert row["score_love"] == pytest.approx(scores["love"]) and row["valence"] == pytest.approx(payload["vad"]["valence"])
    assert row["ekman_score_joy"] == pytest.approx(payload["ekman"]["scores"]["joy"])
    assert row["intensity_fear"] == pytest.approx(payload["intensity"]["fear"])
    assert bool(row["empty"]) is payload["empty"] is False


def test_row_counts_for_the_progress_bar(tmp_path):
    from emoscope.io.readers import count_rows

    quoted = tmp_path / "quoted.csv"
    pd.DataFrame({"text": ["one", "two\nlines", 'a "quote"\nand more', "four"]}).to_csv(quoted, index=False)
    assert count_rows(str(quoted)) == 4 == len(pd.read_csv(quoted))
    lines = tmp_path / "rows.jsonl"
    lines.write_text('{"text": "a"}\n{"text": "b"}\n{"text": "c"}', encoding="utf-8")
    assert count_rows(str(lines)) == 3
    assert count_rows("-", "csv") is None


def test_the_progress_bar_shows_rows_of_the_total_speed_and_time_left():
    import io
    import time

    from rich.console import Console

    from emoscope.cli.analyze import row_progress

    screen = io.StringIO()
    with row_progress(Console(file=screen, force_terminal=True, width=120)) as bar:
        task = bar.add_task("analysing", total=400)
        for done in (100, 200):
            time.sleep(0.2)  # the speed comes from rows over time
            bar.update(task, completed=done)
        frame = Console(file=io.StringIO(), width=120)
        frame.print(bar.get_renderable())
    shown = frame.file.getvalue()
    assert "200/400" in shown and " rows/s" in shown and "… rows/s" not in shown
    assert "0:00:0" in shown  # the time left


def test_help_shows_no_type_for_plain_flags(cli):
    shown = cli("analyze", "--help").stdout
    assert "--json" in shown and "<bool>" not in shown
