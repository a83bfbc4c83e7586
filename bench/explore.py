"""Explorer speed: time to verdict for every catalog scenario and variant, and states/s.

For each (scenario, variant), explore() with the goal "any", as the player's buttons ask:
a safety proof (a complete search) or the fewest-preemption counterexample (a BFS for the
shortest, then the preemption search). Targets: every proof of an era's baseline (v4.8, v5.8) under 2 s, every
counterexample under 0.5 s. Then the why-checks table over the whole catalog.

Run with ``python -m bench.explore``. One process, no worker pool: engine time only.
"""

from __future__ import annotations

import os
import platform
import time

import engine
from engine.checks import check_sets, has_check_sets
from engine.explore import EngineModel, explore, parse_goal

PROOF_TARGET = 2.0
COUNTEREXAMPLE_TARGET = 0.5


def _time_one(scenario: engine.Scenario, variant_id: str) -> tuple[str, int, int, float, int]:
    """(verdict, states, transitions, seconds, steps) of one explore(goal any)."""
    model = EngineModel(scenario.initial(variant_id))
    started = time.perf_counter()
    answer = explore(model, parse_goal("any"))
    seconds = time.perf_counter() - started
    return answer.verdict, answer.states, answer.transitions, seconds, len(answer.schedule)


def _row(sid: str, vid: str, verdict: str, states: int, seconds: float, steps: int, target: float) -> str:
    mark = "ok" if seconds < target else f"OVER {target:g} s"
    length = str(steps) if steps else "-"
    return f"{sid:<22} {vid:<22} {verdict:<10} {states:>8} {length:>6} {seconds * 1000:>9.1f}  {mark}"


def searches() -> list[tuple[str, engine.Scenario, str]]:
    """Every (scenario, variant) the table times: each catalog scenario under its era's variants."""
    return [(sid, s, vid) for sid, s in engine.catalog().items() for vid in s.variant_ids]


def main() -> None:
    print(f"explorer: {platform.node()}, nproc {os.cpu_count()}, Python {platform.python_version()} "
          f"({platform.python_implementation()}), {platform.machine()}")
    header = f"{'scenario':<22} {'variant':<22} {'verdict':<10} {'states':>8} {'steps':>6} {'ms':>9}  target"
    proofs: list[str] = []
    counterexamples: list[str] = []
    total_states = total_seconds = 0.0
    worst = {"proof": 0.0, "counterexample": 0.0}
    over = 0
    for sid, scenario, vid in searches():
        verdict, states, _, seconds, steps = _time_one(scenario, vid)
        total_states += states
        total_seconds += seconds
        if verdict == "violation":
            target, kind, rows = COUNTEREXAMPLE_TARGET, "counterexample", counterexamples
        else:
            target, kind, rows = PROOF_TARGET, "proof", proofs
        worst[kind] = max(worst[kind], seconds)
        over += seconds >= target and (kind == "counterexample" or vid == scenario.era.baseline)
        rows.append(_row(sid, vid, verdict, states, seconds, steps, target))
    print(f"\nsafety proofs (complete searches; target < {PROOF_TARGET:g} s for v4.8 and v5.8)")
    print(header, *proofs, sep="\n")
    print(f"\ncounterexamples (fewest preemptions; target < {COUNTEREXAMPLE_TARGET:g} s)")
    print(header, *counterexamples, sep="\n")
    print(f"\n{total_states:,.0f} states in {total_seconds:.2f} s: {total_states / total_seconds:,.0f} states/s "
          f"(explore() with goal any, all {len(proofs) + len(counterexamples)} searches)")
    print(f"slowest proof {worst['proof'] * 1000:.0f} ms, slowest counterexample "
          f"{worst['counterexample'] * 1000:.0f} ms; {over} over target")
    print("\nwhy each check: all 32 check sets per scenario, one process")
    total, slowest = 0.0, ("", 0.0)
    for sid, scenario in engine.catalog().items():
        if not has_check_sets(scenario):
            print(f"  {sid:<24}      -    a later era's scenario: the check sets are v4.8's")
            continue
        started = time.perf_counter()
        sets = check_sets(scenario)
        seconds = time.perf_counter() - started
        total += seconds
        slowest = max(slowest, (sid, seconds), key=lambda x: x[1])
        print(f"  {sid:<24} {seconds:6.2f} s  {sets.needs}")
    print(f"whole catalog {total:.2f} s (slowest scenario {slowest[0]}, {slowest[1]:.2f} s)")


if __name__ == "__main__":
    main()
