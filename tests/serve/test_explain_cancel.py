"""Word-level evidence is stopped when its client goes away: the real server, a client that
gives up, and the server process's own CPU time (no timing of the work itself)."""

import os
import time

import pytest

from tests.serve.test_app import Server, post

httpx = pytest.importorskip("httpx")

LONG = "I waited all day for you and nobody came, so I am sad and a little angry now. " * 40  # ~3,100 chars


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100.0  # utime, stime in clock ticks (USER_HZ = 100)


def wait_for(condition, timeout: float = 60.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    return condition()


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="needs /proc")
def test_explain_stops_when_the_client_disconnects():
    # limits high enough for minutes of work: 4 texts x 200 words x several windows each
    server = Server("--max-chars", "10000", "--max-explain-words", "1000", "--max-explain-runs", "10000000")
    try:
        assert httpx.get(server.url + "/healthz").json()["explanations_cancelled"] == 0
        with pytest.raises(httpx.TimeoutException):
            post(server, {"texts": [LONG + str(i) for i in range(4)], "explain": True}, timeout=2)
        # the server notices the disconnect and stops the work within a chunk of variants
        assert wait_for(lambda: httpx.get(server.url + "/healthz").json()["explanations_cancelled"] == 1)
        # ... so the process goes idle: its CPU time stops growing (generous bound: ~0 when idle,
        # ~2 s per second while the model runs on 2 threads)
        start = cpu_seconds(server.proc.pid)
        time.sleep(3)
        assert cpu_seconds(server.proc.pid) - start < 1.0
        assert post(server, {"texts": ["Thank you!"], "explain": True}).status_code == 200  # still serving
    finally:
        log = server.stop()
    assert "Traceback" not in log and "CancelledError" not in log, log
    assert "Application shutdown complete" in log
