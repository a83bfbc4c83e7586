"""Web latency and throughput, on a real uvicorn server on 127.0.0.1.

1. Median latency of a step request (htmx fragment) whose parent state is not cached:
   the replay cache is emptied before each request, so the server replays the whole run
   (50 steps, or the longest run the scenario allows).
2. Requests per second with 20 concurrent clients, each stepping through its own
   schedule one step at a time, against a trivial endpoint (/healthz) on the same server.

Run with ``python -m bench.web``.  Bounded in requests and in time.
"""

from __future__ import annotations

import os
import platform
import socket
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import uvicorn
from fastapi import FastAPI

import engine
from app.main import create_app
from app.replays import ReplayCache
from app.links import player_href

SCENARIO = "pmd-became-huge"
VARIANT = "v4.8"
COLD_SAMPLES = 30
CLIENTS = 20
STEPS_PER_CLIENT = 25
TIME_LIMIT = 60.0
HX = {"HX-Request": "true", "HX-Target": "stage"}


def _schedules(count: int, length: int) -> list[tuple[str, ...]]:
    """Distinct valid schedules, found by walking the enabled threads deterministically."""
    s = engine.catalog()[SCENARIO]
    out: list[tuple[str, ...]] = []
    seed = 0
    while len(out) < count and seed < count * 50:
        state, tids = s.initial(VARIANT), []
        n = seed
        while len(tids) < length:
            can = engine.enabled(state)
            if not can:
                break
            pick = can[n % len(can)]
            n = n // len(can) + seed + len(tids)
            state = engine.step(state, pick)
            tids.append(pick)
        seed += 1
        if len(tids) >= length and tuple(tids) not in out:
            out.append(tuple(tids))
    return out


def _longest_walks(count: int, want: int) -> tuple[int, list[tuple[str, ...]]]:
    """``count`` distinct schedules of ``want`` steps, or of the longest length the scenario allows."""
    for length in range(want, 0, -1):
        found = _schedules(count, length)
        if len(found) == count:
            return length, found
    raise SystemExit(f"{SCENARIO} has no {count} distinct schedules")


def _serve() -> tuple[FastAPI, uvicorn.Server, threading.Thread, str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    app = create_app()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return app, server, thread, f"http://127.0.0.1:{port}"


def cold_step_latency(app: FastAPI, base: str, schedules: list[tuple[str, ...]]) -> float:
    """Each request starts from an empty replay cache: no prefix of its run is cached."""
    s = engine.catalog()[SCENARIO]
    times = []
    with httpx.Client(base_url=base) as client:
        for tids in schedules:
            app.state.replays = ReplayCache()
            t0 = time.perf_counter()
            r = client.get(player_href(s, VARIANT, tids), headers=HX)
            times.append(time.perf_counter() - t0)
            r.raise_for_status()
    return statistics.median(times)


def throughput(base: str, urls_per_client: list[list[str]], headers: dict[str, str]) -> float:
    deadline = time.monotonic() + TIME_LIMIT
    done = [0] * len(urls_per_client)

    def client_run(i: int) -> None:
        with httpx.Client(base_url=base) as client:
            for url in urls_per_client[i]:
                if time.monotonic() > deadline:
                    return
                client.get(url, headers=headers).raise_for_status()
                done[i] += 1

    t0 = time.perf_counter()
    with ThreadPoolExecutor(len(urls_per_client)) as pool:
        list(pool.map(client_run, range(len(urls_per_client))))
    return sum(done) / (time.perf_counter() - t0)


def main() -> None:
    s = engine.catalog()[SCENARIO]
    app, server, thread, base = _serve()
    try:
        length, cold = _longest_walks(COLD_SAMPLES, 50)
        latency = cold_step_latency(app, base, cold)
        walks = _schedules(COLD_SAMPLES + CLIENTS, STEPS_PER_CLIENT)[-CLIENTS:]
        stepping = [[player_href(s, VARIANT, w[:n]) for n in range(1, len(w) + 1)] for w in walks]
        rps_steps = throughput(base, stepping, HX)
        rps_health = throughput(base, [["/healthz"] * STEPS_PER_CLIENT for _ in range(CLIENTS)], {})
    finally:
        server.should_exit = True
        thread.join(timeout=5)
    print(f"machine: {os.cpu_count()} CPUs (nproc), Python {platform.python_version()}, {platform.machine()}")
    print(f"{'measure':58} {'value':>12}")
    print(f"{f'median step latency, parent not cached ({length}-step run)':58} {latency * 1000:>9.1f} ms")
    print(f"{f'req/s, {CLIENTS} clients stepping distinct schedules':58} {rps_steps:>12.1f}")
    print(f"{f'req/s, {CLIENTS} clients on /healthz':58} {rps_health:>12.1f}")


if __name__ == "__main__":
    main()
