"""Word-level evidence for the HTTP API: bounded before it starts, stopped when nobody waits.

Explaining a text costs one model run per word plus one, each as many encoder windows as the
text has, so a request is refused (413) beyond ``max_explain_words`` words in a text or
``max_explain_runs`` windows in all, before any model work.  The work runs in its own thread, in
chunks of variants; the request polls for a disconnected client while it waits and then sets a
stop flag that the thread reads between chunks.  Shutting down sets every flag.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..text.explain import WORD, ExplainCancelled
from .errors import APIError

POLL_SECONDS = 0.25  # how often a waiting request asks whether its client is still there
CHUNK_RUNS = 32  # encoder windows between two looks at the stop flag (about 1.5 s on 2 cores)


def check_explain_cost(model, texts: Sequence[str], max_words: int, max_runs: int) -> int:
    """The model runs (encoder windows) explaining ``texts`` takes, at most: per text, (words + 1)
    x the text's windows.  Raises the 413 :class:`APIError` beyond the limits.  Tokenizes only."""
    words = [sum(1 for _ in WORD.finditer(text)) for text in texts]
    for i, n in enumerate(words):
        if n > max_words:
            raise APIError(413, "explain_too_many_words",
                           f"text {i} has {n} words; explain takes at most {max_words} words per text",
                           index=i)
    _, owners, _ = model.encoder.windows(list(texts))
    windows = np.bincount(owners, minlength=len(texts)).tolist()
    runs = sum((n + 1) * w for n, w in zip(words, windows))
    if runs > max_runs:
        raise APIError(413, "explain_too_costly",
                       f"explaining these texts takes {runs} model runs ((words + 1) x windows per text); "
                       f"at most {max_runs} per request: send fewer or shorter texts", runs=runs)
    return runs


class Explainer:
    """Runs explanations one request at a time in a worker thread, each with a stop flag."""

    def __init__(self, max_words: int):
        self.max_words = max_words
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="emoscope-explain")
        self._stops: set[threading.Event] = set()
        self.cancelled = 0  # explanations stopped (client gone, or shutdown)

    def _explain_all(self, model, texts: Sequence[str], stop: threading.Event) -> list[dict]:
        return [model.explain(text, max_words=self.max_words, stop=stop.is_set,
                              chunk_runs=CHUNK_RUNS).to_dict()["evidence"] for text in texts]

    async def explain(self, request, model, texts: Sequence[str]) -> list[dict]:
        """Evidence per text; 499 if the client leaves first, 503 if the server shuts down."""
        stop = threading.Event()
        self._stops.add(stop)
        loop = asyncio.get_running_loop()
        work = loop.run_in_executor(self._executor, self._explain_all, model, list(texts), stop)
        gone = False
        try:
            try:
                while not work.done():
                    await asyncio.wait({work}, timeout=POLL_SECONDS)
                    if not work.done() and not gone and await request.is_disconnected():
                        gone = True
                        stop.set()
            except asyncio.CancelledError:  # the server gave up waiting (graceful shutdown timed out)
                stop.set()
                await asyncio.wait({work})  # the thread stops at its next chunk
            if work.cancelled():  # still queued when the worker thread was shut down
                raise ExplainCancelled("never started")
            return work.result()
        except ExplainCancelled:
            self.cancelled += 1
            if gone:
                raise APIError(499, "client_closed_request", "the client went away; explanation stopped")
            raise APIError(503, "shutting_down", "the server is shutting down; explanation stopped")
        finally:
            self._stops.discard(stop)

    def shutdown(self) -> None:
        """Stop every explanation in flight, and the worker thread."""
        for stop in list(self._stops):
            stop.set()
        self._executor.shutdown(wait=True, cancel_futures=True)
