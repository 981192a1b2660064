"""Word-level evidence (occlusion on the shipped ONNX model)."""

import json

CLEAR = "Thank you so much for helping me move, I really appreciate it."


def test_deleting_the_top_evidence_word_lowers_that_emotion(model):
    explanation = model.explain(CLEAR)
    assert "gratitude" in explanation.labels
    [top] = explanation.top("gratitude", 1)
    assert CLEAR[top.start:top.end] == top.word and top.weight > 0
    without = CLEAR[:top.start] + CLEAR[top.end:]
    assert model.predict(without).scores["gratitude"] < explanation.scores["gratitude"]
    # every word of the text has a weight, in text order, with offsets that point at it
    words = explanation.evidence["gratitude"]
    assert [w.word for w in words] == ["Thank", "you", "so", "much", "for", "helping", "me", "move", "I",
                                       "really", "appreciate", "it"]
    assert all(CLEAR[w.start:w.end] == w.word for w in words)


def test_cli_explain_json_gives_offsets_and_the_table_highlights(cli):
    result = cli("analyze", "--explain", "--json", "I am so angry at you, this is outrageous!")
    assert result.returncode == 0, result.stderr
    [payload] = json.loads(result.stdout)
    assert "anger" in payload["labels"]
    evidence = payload["evidence"]["anger"]
    best = max(evidence, key=lambda w: w["weight"])
    assert payload["text"][best["start"]:best["end"]] == best["word"] and best["word"] in {"angry", "outrageous"}
    table = cli("analyze", "--explain", "I am so angry at you, this is outrageous!")
    assert table.returncode == 0 and "top evidence" in table.stdout and "anger" in table.stdout


def test_explain_refuses_files(cli, tmp_path):
    path = tmp_path / "in.txt"
    path.write_text("hello\n", encoding="utf-8")
    result = cli("analyze", "--explain", "--input", path)
    assert result.returncode == 2 and "--explain works on texts" in result.stderr
