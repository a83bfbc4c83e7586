"""Schedules: which thread ran each step, in run-length form, and replay.

``K3A3K`` means K, K, K, A, A, A, K; the expanded form ``KKKAAAK`` is accepted everywhere
and :func:`format_schedule` always emits the canonical run-length form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import groupby

from engine.errors import ScenarioError, ScheduleError
from engine.narrate import waiting_for
from engine.state import State, enabled, step

THREAD_IDS = "KABCDEFGHS"   # S: a thread that splits huge pages (split_huge_page)
MAX_STEPS = 2000
_TOKEN = re.compile(r"([A-Z])([0-9]*)")   # ASCII digits only: int() would take any script's
# what parse_schedule accepts, for descriptions (OpenAPI); surrounding whitespace is stripped
SCHEDULE_WORD = rf"(?:[{THREAD_IDS}](?:[1-9][0-9]*)?)+"
SCHEDULE_PATTERN = rf"^\s*(?:{SCHEDULE_WORD})?\s*$"


def parse_schedule(text: str, max_steps: int = MAX_STEPS) -> tuple[str, ...]:
    """``K3A3K`` or ``KKKAAAK`` -> ('K', 'K', 'K', 'A', 'A', 'A', 'K').

    A malformed text raises ScheduleError at step 0; a well-formed one of more than
    ``max_steps`` steps raises it at step ``max_steps + 1``, the step no replay runs, with
    the first ``max_steps`` steps as its ``prefix``."""
    text = text.strip()
    out: list[str] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.group(1) not in THREAD_IDS:
            raise ScheduleError(f"schedule {text!r}: character {pos + 1} ({text[pos]!r}) is not a thread id "
                                f"({', '.join(THREAD_IDS)}) followed by an optional count")
        count = int(m.group(2)) if m.group(2) else 1
        if count == 0 or (m.group(2) and m.group(2).startswith("0")):
            raise ScheduleError(f"schedule {text!r}: count {m.group(2)!r} after {m.group(1)} must be a "
                                f"positive number without leading zeros")
        if len(out) + count > max_steps:
            head = out + [m.group(1)] * (max_steps - len(out))
            raise ScheduleError(f"schedule is longer than {max_steps} steps, the most a replay runs",
                                step=max_steps + 1, prefix=format_schedule(head))
        out.extend(m.group(1) * count)
        pos = m.end()
    return tuple(out)


def format_schedule(tids: tuple[str, ...] | list[str]) -> str:
    """The canonical run-length form."""
    parts = []
    for tid, steps in groupby(tids):
        n = sum(1 for _ in steps)
        parts.append(f"{tid}{n}" if n > 1 else tid)
    return "".join(parts)


def format_prefixes(tids: tuple[str, ...] | list[str]) -> list[str]:
    """The canonical form of every prefix of ``tids``, the empty one first: what
    ``[format_schedule(tids[:i]) for i in range(len(tids) + 1)]`` gives, in one pass."""
    out, parts, last, n = [""], [], "", 0
    for tid in tids:
        if tid == last:
            n += 1
            parts[-1] = f"{tid}{n}"
        else:
            last, n = tid, 1
            parts.append(tid)
        out.append("".join(parts))
    return out


@dataclass(frozen=True)
class Run:
    """A replayed schedule: every state from step 0 to the last."""

    schedule: tuple[str, ...]
    states: tuple[State, ...]

    @property
    def final(self) -> State:
        return self.states[-1]


@dataclass(frozen=True)
class RunRef:
    """A run named as a value: the scenario and the digest it was made for, the variant,
    the schedule, the seeded instance and, for a scenario that came in a link, the link's
    token of its text.  The web turns one into a link; the engine never builds URLs."""

    scenario: str
    digest: str
    variant: str
    schedule: tuple[str, ...] = ()
    seed: int = 0
    source: str = ""


def replay(initial: State, schedule: tuple[str, ...]) -> Run:
    """Run ``schedule`` from ``initial``; a step that picks a thread that cannot run fails
    with a ScheduleError naming the step, the threads that could run and the valid prefix."""
    return extend(Run((), (initial,)), schedule)


def extend(run: Run, more: tuple[str, ...]) -> Run:
    """``run`` followed by the steps ``more``; a step that cannot run fails with a
    ScheduleError that carries the longest valid run (``valid``), replayed once."""
    schedule, states = list(run.schedule), list(run.states)
    for tid in more:
        state, n = states[-1], len(states)
        can = enabled(state)
        if tid not in can:
            valid = Run(tuple(schedule), tuple(states))
            raise ScheduleError(_why(state, tid, n, can), step=n, enabled=can,
                                prefix=format_schedule(valid.schedule), valid=valid)
        try:
            states.append(step(state, tid))
        except ScenarioError as e:     # a thread's arguments that do not fit its program: the run stops here
            valid = Run(tuple(schedule), tuple(states))
            raise ScheduleError(str(e), step=n, enabled=can, prefix=format_schedule(valid.schedule),
                                valid=valid) from None
        schedule.append(tid)
    return Run(tuple(schedule), tuple(states))


def _why(state: State, tid: str, n: int, can: tuple[str, ...]) -> str:
    ids = [t.tid for t in state.threads]
    runnable = f"threads that could run: {', '.join(can)}" if can else "no thread could run"
    if state.violation is not None:
        return f"step {n}: the run already ended at step {state.violation.step} ({state.violation.kind})"
    if tid not in ids:
        return f"step {n}: there is no thread {tid} in this scenario (threads: {', '.join(ids)}); {runnable}"
    t = state.thread(tid)
    if t.status == "done":
        return f"step {n}: thread {tid} ({t.name}) has finished; {runnable}"
    return f"step {n}: thread {tid} ({t.name}) is blocked, waiting for {waiting_for(state, tid)}; {runnable}"
