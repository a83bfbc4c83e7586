"""Carry an interleaving from one variant to another.

Two variants run different khugepaged code, so one schedule means different things on
them: a step count that stops K just before its pointer check on v1 stops it somewhere
else on v4.8, and the rest of the schedule then tells another story or does not replay.
What a learner means by ``K16A10C2K9`` is "K until it sleeps on the page lock, then A to
its end, then C, then K": the same switch points, not the same step numbers.

:func:`translate` splits the source run into segments, the maximal runs of one thread,
and says where each segment ends by what its thread does there, in terms that carry
across code:

    the thread blocks, finishes, or the run ends in a violation  ->  the same on the other side
    the thread is preempted before a line                        ->  until its next line is the
                                                                     same line of the same function
                                                                     (the same occurrence of it)

and runs the other variant segment by segment.  When the other side's thread never comes
to that line (v1 checks the vma inline where v4.8 calls hugepage_vma_revalidate), the
segment ends where it has taken or dropped as many locks as on the source side, right
after the last of them (or, with none, after as many steps), since the locks are what the
other threads see.  A segment with a block or end mark that the other side does not meet
runs until its thread blocks or ends there instead: that is where the two kernels part
ways (v4.8's revalidation returns where v1 went on).  A segment whose thread cannot run on
the other side is skipped, and says why.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.narrate import waiting_for
from engine.schedule import MAX_STEPS, Run, extend
from engine.state import DONE, State, enabled

BLOCKS, ENDS, LINE = "blocks", "ends", "line"
MET, LOCKS, MISSED = "met", "locks", "missed"


@dataclass(frozen=True)
class Mark:
    """Where a segment of the source run ends: its thread ``blocks`` (or is done: ``ends``),
    or it is preempted before ``line`` of ``function``, the ``occurrence``-th time in the
    segment that it arrives there."""

    how: str
    function: str = ""
    line: str = ""
    occurrence: int = 0
    lock_ops: int = 0           # the lock operations the segment ran, and its steps: the fallback
    steps: int = 0

    def text(self, tid: str) -> str:
        if self.how == BLOCKS:
            return f"{tid} until it blocks"
        if self.how == ENDS:
            return f"{tid} to its end"
        nth = "" if self.occurrence == 1 else f" (arrival {self.occurrence})"
        return f"{tid} until its next line is {self.function}: {self.line}{nth}"


@dataclass(frozen=True)
class Segment:
    """One switch point carried across: the thread, the source's steps ``a`` and the
    other side's ``b`` (first and last step numbers, or None when it ran no step there),
    the rule, and whether the other side kept it (``kept``) or why not (``note``)."""

    tid: str
    a: tuple[int, int]
    b: tuple[int, int] | None
    mark: Mark
    kept: bool
    note: str = ""
    ended: tuple[str, str] = ("", "")   # where the thread is at the segment's end, on each side
    same: bool = False                  # both sides leave it alike (engine.align.standing)


@dataclass(frozen=True)
class Alignment:
    source: Run
    target: Run
    segments: tuple[Segment, ...]

    @property
    def parted(self) -> int | None:
        """The index of the first segment whose two sides leave its thread in different places."""
        return next((i for i, s in enumerate(self.segments) if not s.same), None)


def _next_line(state: State, tid: str) -> tuple[str, str] | None:
    top = state.thread(tid).top
    return (top.program.function, top.line) if top is not None else None


def _mark(run: Run, start: int, end: int, tid: str) -> Mark:
    """How the segment of ``run`` from step ``start`` + 1 to ``end`` ends."""
    final = run.states[end]
    if final.violation is not None or final.thread(tid).status == DONE:
        return Mark(ENDS)
    if tid not in enabled(final):
        return Mark(BLOCKS)
    at = _next_line(final, tid)
    assert at is not None
    arrivals = sum(1 for i in range(start + 1, end + 1) if _next_line(run.states[i], tid) == at)
    locks = sum(1 for i in range(start, end) if run.states[i].thread(tid).at_lock_op)
    return Mark(LINE, at[0], at[1], arrivals, locks, end - start)


def segments_of(schedule: tuple[str, ...]) -> list[tuple[str, int, int]]:
    """The maximal runs of one thread: (tid, steps before it, steps after it)."""
    out: list[tuple[str, int, int]] = []
    for i, tid in enumerate(schedule):
        if out and out[-1][0] == tid:
            out[-1] = (tid, out[-1][1], i + 1)
        else:
            out.append((tid, i, i + 1))
    return out


def _run_segment(run: Run, tid: str, mark: Mark, budget: int) -> tuple[Run, str]:
    """``run`` with ``tid`` run until ``mark``, and how it ended: ``met``; ``locks`` (a line
    the thread never comes to: the run up to the same number of lock operations); or
    ``missed`` (a block or end that did not come: the run up to where the thread stopped)."""
    arrivals = locks = steps = 0
    fallback = None
    while tid in enabled(run.final) and len(run.schedule) < budget:
        locks += run.final.thread(tid).at_lock_op
        run = extend(run, (tid,))
        steps, state = steps + 1, run.final
        if fallback is None and (locks == mark.lock_ops > 0 or (mark.lock_ops == 0 and steps == mark.steps)):
            fallback = run
        if mark.how == LINE and _next_line(state, tid) == (mark.function, mark.line):
            arrivals += 1
            if arrivals == mark.occurrence:
                return run, MET
        ends = state.violation is not None or state.thread(tid).status == DONE
        if ends or tid not in enabled(state):
            if mark.how == LINE:
                break
            return run, MET if mark.how == (ENDS if ends else BLOCKS) else MISSED
    if mark.how == LINE and fallback is not None:
        return fallback, LOCKS
    return run, MISSED


def standing(state: State, tid: str) -> tuple:
    """What the other threads can tell of ``tid`` in ``state``: whether the run ended and
    how, its status, what it waits for, its result and the locks it holds.  Two variants
    whose code differs leave a thread at different lines; they part ways when this differs."""
    t = state.thread(tid)
    held = tuple(sorted((str(lk.id), lk.holds(tid) or "") for lk in state.locks if lk.holds(tid)))
    kind = state.violation.kind if state.violation is not None else None
    return kind, t.status, t.waiting, t.result if t.status == DONE else None, held


def ended(state: State, tid: str) -> str:
    """Where thread ``tid`` is in ``state``, in words that compare across variants."""
    t = state.thread(tid)
    if state.violation is not None:
        return f"the run ends in {state.violation.kind}"
    if t.status == DONE:
        return f"{tid} is done: it returned {t.result}"
    if tid not in enabled(state):
        return f"{tid} is waiting for {waiting_for(state, tid)}"
    at = _next_line(state, tid)
    return f"{tid} is about to run {at[0]}: {at[1]}" if at else f"{tid} can run"


def translate(source: Run, target_initial: State, max_steps: int = MAX_STEPS) -> Alignment:
    """The source run's interleaving, run from ``target_initial`` (another variant's step 0)."""
    target = Run((), (target_initial,))
    out = []
    for tid, start, end in segments_of(source.schedule):
        mark = _mark(source, start, end, tid)
        before = len(target.schedule)
        if target.final.violation is not None:
            out.append(Segment(tid, (start + 1, end), None, mark, False, "this side's run has already ended"))
            continue
        if tid not in enabled(target.final):
            t = target.final.thread(tid)
            why = "it has finished" if t.status == DONE else f"it is waiting for {waiting_for(target.final, tid)}"
            out.append(Segment(tid, (start + 1, end), None, mark, False, f"{tid} cannot run here: {why}"))
            continue
        target, how = _run_segment(target, tid, mark, max_steps)
        b = (before + 1, len(target.schedule))
        kept = how != MISSED
        note = "" if how == MET else _instead(target.final, tid, len(target.schedule) >= max_steps) \
            if how == MISSED else (f"{tid} does not come to that line here: it stops after as many lock operations "
                                   f"({mark.lock_ops})" if mark.lock_ops else
                                   f"{tid} does not come to that line here: it stops after as many steps ({mark.steps})")
        out.append(Segment(tid, (start + 1, end), b, mark, kept, note,
                           (ended(source.states[end], tid), ended(target.final, tid)),
                           kept and standing(source.states[end], tid) == standing(target.final, tid)))
    return Alignment(source, target, tuple(out))


def _instead(state: State, tid: str, out_of_steps: bool) -> str:
    """What the other side's thread did instead of meeting the mark."""
    if out_of_steps:
        return f"{tid} ran to the step limit without meeting it"
    if state.violation is not None:
        return f"the run ends here in {state.violation.kind}"
    if state.thread(tid).status == DONE:
        return f"{tid} finished instead"
    return f"{tid} blocked instead: waiting for {waiting_for(state, tid)}"
