"""What the walkthroughs cost: loading and compiling every stop, and serving each screen.

A stop is compiled once, when its file loads; a screen is then a replay of the stop's schedule
and a render.  This measures the load, and the time and size of every screen in the player,
in presenter mode and in the notes window, and of each handout.
"""

from __future__ import annotations

import os
import platform
import statistics
import time

from fastapi.testclient import TestClient

import engine
from app.links import handout_href, notes_href, stop_href
from app.main import create_app
from app.views.walkthroughs import frames
from engine.walkthroughs import catalog


def main() -> None:
    print(f"walkthroughs  machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}")
    scenarios = engine.catalog()
    start = time.perf_counter()
    shipped = catalog(scenarios)
    loaded = time.perf_counter() - start
    stops = sum(len(w.stops) for w in shipped.values())
    print(f"  load and compile: {len(shipped)} walkthroughs, {stops} stops in {loaded * 1e3:.0f} ms")
    client = TestClient(create_app())
    pages = {"player": [], "presenter": [], "notes": []}
    for w in shipped.values():
        for f in frames(w):
            hrefs = {"player": stop_href(f.stop, reveal=f.revealed),
                     "presenter": stop_href(f.stop, reveal=f.revealed, present=True),
                     "notes": notes_href(f.stop, reveal=f.revealed)}
            for kind, href in hrefs.items():
                client.get(href)
                t = time.perf_counter()
                r = client.get(href)
                pages[kind].append((time.perf_counter() - t, len(r.content)))
    for kind, rows in pages.items():
        times, sizes = [t for t, _ in rows], [s for _, s in rows]
        print(f"  {kind} screen ({len(rows)}): median {statistics.median(times) * 1e3:.1f} ms, "
              f"slowest {max(times) * 1e3:.1f} ms; median {statistics.median(sizes) / 1024:.0f} KiB, "
              f"largest {max(sizes) / 1024:.0f} KiB")
    for w in shipped.values():
        t = time.perf_counter()
        r = client.get(handout_href(w))
        print(f"  handout {w.id}: {(time.perf_counter() - t) * 1e3:.0f} ms, {len(r.content) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
