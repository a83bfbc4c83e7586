"""What the exercises cost: loading and compiling them, proving them sound, and one Check.

Pressing Check never starts a search: a grade is a replay (schedule parts), a lookup
(predict, a prove claim, a fix) against verdicts computed once.  This measures each.
"""

from __future__ import annotations

import os
import platform
import statistics
import time

import engine
from engine import exercises as ex


def main() -> None:
    print(f"exercises  machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}")
    scenarios = engine.catalog()
    start = time.perf_counter()
    catalog = ex.catalog(scenarios)
    loaded = time.perf_counter() - start
    parts = [p for x in catalog.values() for p in x.parts]
    print(f"  load and compile: {len(catalog)} exercises, {len(parts)} parts in {loaded * 1e3:.0f} ms")
    verdicts = ex.Computed()
    start = time.perf_counter()
    for p in parts:
        if p.kind == "prove":
            verdicts.prove(p)
    proofs = time.perf_counter() - start
    start = time.perf_counter()
    for s in ex.needed_scenarios(catalog).values():
        verdicts.check_sets(s)
    sets = time.perf_counter() - start
    print(f"  verdicts, once (kept on disk by the server and mmlock check): prove parts {proofs:.2f} s, "
          f"the fix parts' check sets {sets:.1f} s")
    by_kind: dict[str, list[float]] = {}
    for p in parts:
        sub = ex.as_written(p, p.spec.answer)
        samples = []
        for _ in range(5):
            t = time.perf_counter()
            ex.grade(p, sub, verdicts)
            samples.append(time.perf_counter() - t)
        by_kind.setdefault(p.kind, []).append(statistics.median(samples))
    for kind, times in sorted(by_kind.items()):
        print(f"  one Check, {kind} ({len(times)} parts): median {statistics.median(times) * 1e3:.2f} ms, "
              f"slowest {max(times) * 1e3:.2f} ms")
    start = time.perf_counter()
    ex.seeded(catalog["x06"], 7, scenarios)
    print(f"  a seeded instance of x06: {(time.perf_counter() - start) * 1e3:.1f} ms to compile")


if __name__ == "__main__":
    main()
