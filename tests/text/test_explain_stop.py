"""Explain in chunks with a stop callback: the same evidence, and a stop that is honoured."""

import pytest

from emoscope.text.explain import ExplainCancelled

TEXT = "Thank you so much for helping me move, I really appreciate it, but I am so tired now."


def test_explain_in_chunks_gives_the_same_evidence(model):
    whole = model.explain(TEXT).to_dict()
    calls = []
    chunked = model.explain(TEXT, stop=lambda: calls.append(1) and False, chunk_runs=3).to_dict()
    assert chunked == whole
    assert len(calls) >= 6  # 18 words in chunks of 3 variants: asked before each chunk


def test_explain_stops_between_chunks(model):
    asked = []

    def stop():
        asked.append(1)
        return len(asked) > 2

    with pytest.raises(ExplainCancelled):
        model.explain(TEXT, stop=stop, chunk_runs=2)
    assert len(asked) == 3
