"""Replay cost per engine step: the catalog's witnesses and a long synthetic schedule.

Target (issue 2): under 40 µs per step, a 500-step replay under 20 ms.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from dataclasses import replace

import engine
from engine.program import Program, Step
from engine.programs.fault import FAULT
from engine.state import Frame, Thread


def _median_seconds(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def synthetic(rounds: int = 14) -> tuple[engine.State, tuple[str, ...]]:
    """Four threads that each take ``rounds`` page faults in a loop, scheduled round-robin."""
    def again(c, _value):
        c["left"] -= 1
        if c["left"]:
            c.goto("loop")

    def fault(address: int):
        return lambda c: c.call(FAULT, address=address + 0x1000 * c["left"], data=f"r{c['left']}", write=True)

    base = engine.catalog()["rwsem-basics"].initial("v4.8")
    threads = []
    for n, tid in enumerate("ABCD"):
        program = Program(f"fault_loop_{tid}", "v4.8", "bench", ("left",), (
            Step("handle_mm_fault(vma, address, flags);", fault(0x7F3A4A000000 + n * 0x40000),
                 label="loop", on_return=again),
            Step("return 0;", lambda c: c.ret(0)),
        ), callees=(FAULT,))
        threads.append(Thread(tid, f"faulting thread {tid}", (Frame(program, 0, (("left", rounds),)),)))
    state = replace(base, threads=tuple(threads))
    schedule, s, last = [], state, -1
    while engine.enabled(s):
        can = engine.enabled(s)
        last = (last + 1) % len(can)
        schedule.append(can[last])
        s = engine.step(s, can[last])
    return state, tuple(schedule)


def main() -> None:
    print(f"engine replay  machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}")
    rows = []
    total_steps = total_time = 0.0
    for sid, s in sorted(engine.catalog().items()):
        for variant, outcomes in s.spec.expect.items():
            for key, text in outcomes.items():
                tids = engine.parse_schedule(text)
                initial = s.initial(variant)
                t = _median_seconds(lambda: engine.replay(initial, tids), 15)
                total_steps += len(tids)
                total_time += t
                rows.append((t / len(tids) * 1e6, f"{sid} {variant} {key}", len(tids)))
    rows.sort(reverse=True)
    print(f"  catalog witnesses: {len(rows)} schedules, {int(total_steps)} steps, "
          f"{total_time / total_steps * 1e6:.1f} µs/step on average; slowest {rows[0][0]:.1f} µs/step ({rows[0][1]})")
    state, tids = synthetic()
    t = _median_seconds(lambda: engine.replay(state, tids), 15)
    print(f"  synthetic: {len(tids)} steps in {t * 1e3:.2f} ms = {t / len(tids) * 1e6:.1f} µs/step "
          f"(target < 40 µs/step, 500 steps < 20 ms)")


if __name__ == "__main__":
    main()
