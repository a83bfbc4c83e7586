"""A classroom against a real ``mmlock serve``: students stepping through runs, with and
without explorations running.

The server runs in its own process (as in class), the students are asyncio clients here.
Each student steps through a 40-step run of its own, one htmx step request at a time,
waiting about ``think`` seconds between a response and its next key press (0 is a student
who holds a key down): each pause is drawn evenly from half to one and a half times it,
and each student starts within one pause of the others, as a class does (with one fixed
pause and one start, all fifty would press every key at the same instant).  The draws are
seeded, so every run asks the same.  With explorations, two more clients ask the explorer for
fewest-preemption searches back to back (distinct variants and goals, so the cache does
not answer them).  Reported: p50/p95/p99/max latency of the step requests, errors,
requests/s, and the server's RSS before and after.  Bounded: 50 students × 40 steps.  The
students start once the server's startup searches (every scenario's check sets) are done.

Run with ``python -m bench.classroom``.
"""

from __future__ import annotations

import asyncio
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

import engine
from app.links import player_href
from bench.web import _schedules

SCENARIO, VARIANT = "pmd-became-huge", "v4.8"
STEPS = 40
HX = {"HX-Request": "true", "HX-Target": "stage"}
GOALS = ("any", "null-deref", "use-after-free", "bug-on", "SCAN_PMD_NULL", "SCAN_FAIL")


def _serve(cache: str, processes: int) -> tuple[subprocess.Popen, str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    server = subprocess.Popen([str(Path(sys.executable).with_name("mmlock")), "serve", "--port", str(port),
                               "--workers", str(processes)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "MMLOCK_CACHE_DIR": cache})
    base = f"http://127.0.0.1:{port}"
    end = time.monotonic() + 30
    while time.monotonic() < end:
        try:
            if httpx.get(base + "/healthz").status_code == 200:
                return server, base
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("mmlock serve did not start")


def _checks_ready(base: str, seconds: float = 180.0) -> bool:
    """Wait for the server's startup work (every scenario's 32 check sets) to finish."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if httpx.get(base + "/api/checks", timeout=30).status_code == 200:
            return True
        time.sleep(1.0)
    return False


def _rss_mib(pid: int) -> float:
    """The server's resident memory: the process and every process under it."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue
        if int(entry) == pid or _is_under(int(entry), pid):
            total += int(fields.get("VmRSS", "0 kB").split()[0])
    return total / 1024


def _is_under(child: int, pid: int) -> bool:
    while child > 1:
        try:
            with open(f"/proc/{child}/stat") as f:
                child = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            return False
        if child == pid:
            return True
    return False


async def _student(client: httpx.AsyncClient, urls: list[str], think: float, times: list[float],
                   errors: list[int], pause: random.Random) -> None:
    await asyncio.sleep(pause.uniform(0, think))        # a class does not press its first key at one instant
    for url in urls:
        t0 = time.perf_counter()
        try:
            r = await client.get(url, headers=HX)
            status = r.status_code
        except httpx.HTTPError:
            status = 0                      # no answer at all
        times.append(time.perf_counter() - t0)
        if status != 200:
            errors.append(status)
        await asyncio.sleep(pause.uniform(0.5 * think, 1.5 * think))


async def _explorer(client: httpx.AsyncClient, searches: list[str], stop: asyncio.Event, done: list[int]) -> None:
    for url in searches:
        if stop.is_set():
            return
        try:
            await client.get(url, timeout=60)
        except httpx.HTTPError:
            continue
        done.append(1)


async def _class(base: str, students: int, think: float, explorations: bool) -> dict[str, float]:
    s = engine.catalog()[SCENARIO]
    walks = _schedules(students, STEPS)
    urls = [[player_href(s, VARIANT, w[:n]) for n in range(1, len(w) + 1)] for w in walks]
    variants = list(s.variant_ids) + [f"v4.8[checks={c}]" for c in
                                                  ("", "vma-check", "pmd-recheck", "exit-test,vma-null")]
    searches = [f"/api/scenarios/{sid}/explore?v={v}&goal={g}" for sid in ("realloc-anon", "swapin-retry-pmd")
                for v in variants for g in GOALS]
    times: list[float] = []
    errors: list[int] = []
    explored: list[int] = []
    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=students + 4, max_keepalive_connections=students + 4)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        t0 = time.perf_counter()
        helpers = [asyncio.ensure_future(_explorer(client, searches[i::2], stop, explored))
                   for i in range(2)] if explorations else []
        await asyncio.gather(*(_student(client, u, think, times, errors, random.Random(i))
                               for i, u in enumerate(urls)))
        elapsed = time.perf_counter() - t0
        stop.set()
        for h in helpers:
            h.cancel()
        await asyncio.gather(*helpers, return_exceptions=True)
    q = statistics.quantiles(times, n=100, method="inclusive")
    return {"p50": q[49], "p95": q[94], "p99": q[98], "max": max(times), "errors": len(errors),
            "rps": len(times) / elapsed, "searches": len(explored)}


def main() -> None:
    for processes in (1, 2):
        _measure(processes)


def _measure(processes: int) -> None:
    print(f"classroom  machine: {os.cpu_count()} CPUs (nproc), Python {platform.python_version()}, "
          f"{platform.machine()}; server: mmlock serve --workers {processes}")
    with tempfile.TemporaryDirectory() as cache:
        server, base = _serve(cache, processes)
        try:
            ready = _checks_ready(base)
            before = _rss_mib(server.pid)
            print(f"(the server's background searches of all 32 check sets {'finished' if ready else 'still run'} "
                  "before the first student)")
            print(f"{'students':>8} {'think':>6} {'explore':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
                  f"{'max ms':>8} {'errors':>6} {'req/s':>7} {'searches':>8}")
            for students, think, explorations in ((1, 0.0, False), (10, 0.0, False), (50, 0.0, False),
                                                  (50, 0.5, False), (50, 0.5, True), (50, 0.0, True)):
                r = asyncio.run(_class(base, students, think, explorations))
                print(f"{students:>8} {think:>6.1f} {'yes' if explorations else 'no':>7} {r['p50'] * 1000:>8.1f} "
                      f"{r['p95'] * 1000:>8.1f} {r['p99'] * 1000:>8.1f} {r['max'] * 1000:>8.1f} "
                      f"{r['errors']:>6} {r['rps']:>7.1f} {r['searches']:>8}")
            print(f"server RSS (with its search workers) {before:.0f} MiB before, {_rss_mib(server.pid):.0f} MiB after")
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()
