"""Atomic output files: a failed write leaves the old file and no temporary behind."""

import pytest

from emoscope.io.atomic import atomic_path


def test_atomic_path_cleans_up_on_failure(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as temp:
            temp.write_text("half written")
            raise RuntimeError("crash mid-write")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]
    with atomic_path(target) as temp:
        temp.write_text("new")
    assert target.read_text() == "new"
