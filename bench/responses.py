"""What one step costs on the wire: the player's htmx fragment and its whole page, raw and as
sent (gzip), at every step of the story's run, and the compare page of that run.

Run with ``python -m bench.responses``.  In-process (TestClient), so it measures the bytes
and the server's time to build them, not a network.
"""

from __future__ import annotations

import os
import platform
import statistics
import time

from fastapi.testclient import TestClient

import engine
from app.links import compare_href, player_href
from app.main import create_app

SCENARIO, VARIANT, RUN = "realloc-file", "v1-pointer-check", "K16A10C2K9"
GZIP = {"Accept-Encoding": "gzip"}
HX = {"HX-Request": "true", **GZIP}


def _get(client: TestClient, href: str, headers: dict[str, str]) -> tuple[int, int, float]:
    """The body as decoded, the bytes sent (content-length of the gzip answer) and the time."""
    start = time.perf_counter()
    r = client.get(href, headers=headers)
    took = time.perf_counter() - start
    assert r.status_code == 200, (href, r.status_code)
    return len(r.content), int(r.headers["content-length"]), took


def _row(name: str, samples: list[tuple[int, int, float]]) -> None:
    raw, sent, took = zip(*samples)
    print(f"  {name:<14} raw median {statistics.median(raw) / 1024:5.1f} KiB (largest {max(raw) / 1024:5.1f}), "
          f"sent median {statistics.median(sent) / 1024:4.1f} KiB (largest {max(sent) / 1024:4.1f}), "
          f"median {statistics.median(took) * 1e3:4.1f} ms")


def main() -> None:
    print(f"responses  machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}")
    scenario = engine.catalog()[SCENARIO]
    tids = engine.parse_schedule(RUN)
    client = TestClient(create_app())
    hrefs = [player_href(scenario, VARIANT, tids[:n]) for n in range(len(tids) + 1)]
    for href in hrefs:                       # warm the replay cache, as a class stepping through does
        client.get(href)
    print(f"  {SCENARIO} under {VARIANT}, every step of {RUN} ({len(tids)} steps):")
    _row("step fragment", [_get(client, h, HX) for h in hrefs])
    _row("whole page", [_get(client, h, GZIP) for h in hrefs])
    _row("compare", [_get(client, compare_href(scenario, VARIANT, "v4.8", tids), GZIP) for _ in range(5)])


if __name__ == "__main__":
    main()
