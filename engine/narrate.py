"""Plain sentences for the event log, screen readers and walkthroughs (no HTML)."""

from __future__ import annotations

from engine.eras import lock_name
from engine.kernel.locks import IRQ
from engine.kernel.rwsem import describe_wait
from engine.state import State


def narrate(state: State) -> str:
    """One sentence for the step that produced ``state`` (step 0: the starting point): what
    the line does, then what it found (its notes, with the values it decided on), then who
    waits, wakes, or what went wrong."""
    if state.steps == 0:
        return "The scenario starts: no thread has run yet."
    texts = [e.text.rstrip(".") for e in state.last if e.kind in ("step", "violation", "wake", "scan-result", "result")]
    head = [e.text.rstrip(".") for e in state.last if e.kind == "lock" and "waits" in e.text]
    notes = [e.text.rstrip(".") for e in state.last if e.kind == "note"]
    parts = texts[:1] + notes + head + texts[1:]
    return ("; ".join(parts) or "Nothing visible happens") + "."


def waiting_for(state: State, tid: str) -> str | None:
    """Why a blocked thread cannot run, e.g. "mmap_sem (write): queued behind A"."""
    t = state.thread(tid)
    if t.waiting is None:
        return None
    lock_id, mode = t.waiting
    lock = state.lock(lock_id)
    name = lock_name(lock_id, state.config.kernel)
    if lock is None:
        return f"{name} ({mode})"
    if lock.kind == IRQ:
        return f"its TLB-flush IPI to {lock.writer}'s CPU, where interrupts are off"
    what = f"{name} until it is unlocked" if mode == "wait" else f"{name} ({mode})"
    why = describe_wait(lock, tid)
    return f"{what}: {why}" if why else what
