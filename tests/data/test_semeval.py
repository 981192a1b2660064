"""SemEval 2025 Task 11 readers (:mod:`emoscope.data.semeval`)."""

import pytest

from emoscope.data.semeval import read_track_a
from emoscope.errors import InputDecodeError, InputNotFoundError


def test_track_a_reader_keeps_absent_emotions_apart(tmp_path):
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "eng.csv").write_text("id,text,anger,fear,joy,sadness,surprise\n"
                                              "1,so happy,0,0,1,0,0\n2,\"scared, angry\",1,1,0,0,0\n")
    splits = read_track_a(tmp_path, "dev")
    eng = splits["eng"]
    assert eng.texts == ["so happy", "scared, angry"]
    assert eng.annotated_labels == ["anger", "fear", "joy", "sadness", "surprise"]
    assert eng.targets[:, 1].tolist() == [-1, -1]  # no disgust column in English
    assert eng.targets[1].tolist() == [1, -1, 1, 0, 0, 0]
    (tmp_path / "dev" / "deu.csv").write_text("id,text,anger\n1,gut,2\n")
    with pytest.raises(InputDecodeError, match=r"deu.csv, line 2, column 'anger'"):
        read_track_a(tmp_path, "dev")
    with pytest.raises(InputNotFoundError):
        read_track_a(tmp_path, "train")
