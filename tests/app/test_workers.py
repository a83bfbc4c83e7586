"""Search workers under faults: a requester that goes away, a worker killed or stopped
mid-search, and a server shut down or killed.  No process outlives the server, and no
request waits on a worker that does not answer."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import engine
from app.search import Bounds, Busy, Gone, Search, Searches
from app.workers import NICENESS, pids
from engine.goal import parse_goal

FIVE = """
[[threads]]
id = "D"
name = "another fault"
program = "handle_mm_fault"
args = { address = 0x7f3a4a005000, data = "more" }
"""


@pytest.fixture(scope="module")
def slow(tmp_path_factory) -> Search:
    """A search that takes seconds: realloc-anon with a fifth thread, asked for a goal no
    schedule reaches, so it covers the whole space."""
    src = engine.catalog()["realloc-anon"].path.read_text()
    path = tmp_path_factory.mktemp("five") / "five.toml"
    path.write_text(src.replace('id = "realloc-anon"', 'id = "five"').partition("[expect]")[0] + FIVE)
    return Search(engine.load(path), "v4.8", parse_goal("returned(do_swap_page)=12345"), Bounds())


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def _wait_until(condition, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_a_requester_that_goes_away_stops_its_search_and_frees_its_slot(slow):
    searches = Searches()

    async def gone() -> bool:
        return True
    try:
        started = time.monotonic()
        with pytest.raises(Gone):
            asyncio.run(searches.explore(slow, gone=gone))
        assert _wait_until(lambda: searches._in_flight == 0, 3.0), "the slot was not freed"
        assert time.monotonic() - started < 5.0      # the whole search takes about 7 s
        assert searches.cached(slow) is None         # a cancelled search leaves no answer
    finally:
        searches.close()


def test_a_worker_killed_mid_search_is_a_503_and_the_next_search_works(slow):
    searches = Searches()
    quick = Search(engine.catalog()["exit"], "v4.8", parse_goal("any"), Bounds())
    try:
        asyncio.run(searches.explore(quick))          # the pool is up

        async def kill_then_wait() -> None:
            task = asyncio.ensure_future(searches.explore(slow))
            await asyncio.sleep(1.0)
            for pid in pids(searches._pool):
                os.kill(pid, signal.SIGKILL)
            await task
        with pytest.raises(Busy, match="stopped unexpectedly"):
            asyncio.run(kill_then_wait())
        assert asyncio.run(searches.explore(Search(engine.catalog()["madvise-nohugepage"], "v4.8",
                                                   parse_goal("any"), Bounds())))[0]["verdict"] == "safe"
    finally:
        searches.close()


def test_a_stopped_worker_never_hangs_a_request(slow):
    searches = Searches(budget=1.0)
    quick = Search(engine.catalog()["exit"], "v4.8", parse_goal("any"), Bounds())
    try:
        asyncio.run(searches.explore(quick))
        stopped = pids(searches._pool)
        for pid in stopped:
            os.kill(pid, signal.SIGSTOP)
        started = time.monotonic()
        with pytest.raises(Busy, match="did not answer within 6 s"):
            asyncio.run(searches.explore(Search(engine.catalog()["realloc-file"], "v4.8", parse_goal("any"), Bounds())))
        assert time.monotonic() - started < 8.0
        assert _wait_until(lambda: not any(_alive(p) for p in stopped), 5.0), "stopped workers were not killed"
    finally:
        searches.close()


def _serve(cache: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    mmlock = Path(sys.executable).with_name("mmlock")
    server = subprocess.Popen([str(mmlock), "serve", "--port", str(port), *extra], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env={**os.environ, "MMLOCK_CACHE_DIR": str(cache)})
    base = f"http://127.0.0.1:{port}"
    assert _wait_until(lambda: _answers(base + "/healthz"), 20.0), "the server did not start"
    return server, base


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status == 200
    except OSError:
        return False


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        kids = _children(todo.pop())
        found += kids
        todo += kids
    return found


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except (FileNotFoundError, IndexError):
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                out.append(int(entry))
    return out


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["shutdown", "killed"])
@pytest.mark.parametrize("processes", [1, 2], ids=["one-process", "two-processes"])
def test_no_worker_outlives_the_server(how, processes, tmp_path):
    server, base = _serve(tmp_path, "--workers", str(processes))
    try:
        assert _answers(base + "/api/scenarios/exit/explore?v=v4.8")      # explorer workers start
        # explorer and checks workers, under each server process when there are several
        assert _wait_until(lambda: len(_descendants(server.pid)) >= (3 if processes == 1 else 5), 30.0)
        workers = _descendants(server.pid)
        server.send_signal(how)
        server.wait(timeout=20)
        assert _wait_until(lambda: not any(_alive(p) for p in workers), 5.0), \
            f"workers {[p for p in workers if _alive(p)]} outlived the server"
    finally:
        if server.poll() is None:
            server.kill()


def test_closing_the_search_service_leaves_no_cancel_folder():
    searches = Searches()
    folder = searches._cancel_dir
    assert folder.is_dir()
    searches.close()
    assert not folder.exists()


def test_search_workers_yield_the_cpu_to_requests():
    """A worker runs at NICENESS more than the server, so a step request is served first."""
    searches = Searches()
    try:
        asyncio.run(searches.explore(Search(engine.catalog()["exit"], "v4.8", parse_goal("any"), Bounds())))
        workers = pids(searches._pool)
        assert workers
        assert all(os.getpriority(os.PRIO_PROCESS, pid) == os.getpriority(os.PRIO_PROCESS, 0) + NICENESS
                   for pid in workers)
    finally:
        searches.close()
