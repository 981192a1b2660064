"""Dynamic micro-batching: concurrent requests share model batches.

Requests put their texts on a queue; one worker takes what is waiting (up to ``max_batch``
texts, waiting at most ``max_wait_ms`` for more once the first arrives, but only while requests
are arriving together: a lone client never waits), runs the model in a
worker thread so the event loop never blocks, and hands each request its own slice.  While a
batch runs, new requests gather for the next one, so under load batches grow by themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Sequence


@dataclass
class _Job:
    texts: Sequence[str]
    future: asyncio.Future


class MicroBatcher:
    def __init__(self, predict: Callable[[list[str]], list], *, max_batch: int = 64,
                 max_wait_ms: float = 5.0, enabled: bool = True):
        self.predict = predict
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1000.0
        self.enabled = enabled
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="emoscope-model")
        self._queue: asyncio.Queue[_Job] | None = None
        self._worker: asyncio.Task | None = None
        self.batches_run = 0
        self.texts_run = 0
        self._last_jobs = 1  # requests in the previous batch: >1 means clients are concurrent

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        if self.enabled:
            self._worker = asyncio.create_task(self._run())

    async def submit(self, texts: Sequence[str]) -> list:
        loop = asyncio.get_running_loop()
        if not self.enabled:
            return await loop.run_in_executor(self._executor, self._predict, list(texts))
        job = _Job(texts, loop.create_future())
        await self._queue.put(job)
        return await job.future

    def _predict(self, texts: list[str]) -> list:
        self.batches_run += 1
        self.texts_run += len(texts)
        return self.predict(texts)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            jobs = [await self._queue.get()]
            size = len(jobs[0].texts)
            deadline = loop.time() + (self.max_wait if self._last_jobs > 1 else 0.0)
            while size < self.max_batch:
                if self._queue.empty():
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        break
                    try:
                        job = await asyncio.wait_for(self._queue.get(), remaining)
                    except asyncio.TimeoutError:
                        break
                else:
                    job = self._queue.get_nowait()
                jobs.append(job)
                size += len(job.texts)
            self._last_jobs = len(jobs)
            texts = [t for job in jobs for t in job.texts]
            try:
                results = await loop.run_in_executor(self._executor, self._predict, texts)
            except Exception as exc:  # hand the failure to every waiting request
                for job in jobs:
                    if not job.future.done():
                        job.future.set_exception(exc)
                continue
            begin = 0
            for job in jobs:
                if not job.future.done():
                    job.future.set_result(results[begin:begin + len(job.texts)])
                begin += len(job.texts)

    async def stop(self) -> None:
        """Finish what is queued, then stop the worker and the model thread."""
        if self._worker is not None:
            while not self._queue.empty():
                await asyncio.sleep(0.01)
            await asyncio.sleep(0)  # let the worker pick up the last batch
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        self._executor.shutdown(wait=True)
