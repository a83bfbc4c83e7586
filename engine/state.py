"""The model's state and its one transition function.

``enabled(state)`` and ``step(state, tid)`` are the only transition code: the player,
replay, the explorer, the CLI and the tests all call them.  A :class:`State` is a value:
frozen dataclasses of ints, strings and tuples, hashable and comparable.  ``steps`` and
``last`` (the events of the step that produced the state) are history, not state: they are
left out of equality and hashing, so two schedules that reach the same kernel state meet.

A step runs one line of the chosen thread's program through a :class:`Ctx`, a short-lived
builder that collects the line's changes and then commits them as a new State.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from engine import fixes
from engine.eras import has_mmap_lock, lock_name, rename
from engine.errors import MISFITS, ModelError, misfit
from engine.fixes import Fix
from engine.kernel.locks import LockId
from engine.kernel.pgtable import HUGE, PRESENT, SWAP, TABLE, Page, Pmd, PmdTable, PteTable
from engine.kernel.rwsem import Lock
from engine.locking import LockOps
from engine.kernel.slab import Slab
from engine.kernel.vma import pud_base
from engine.program import Program, Step, Value

RUNNABLE, BLOCKED, DONE = "runnable", "blocked", "done"


@dataclass(frozen=True, slots=True)
class Config:
    """Scenario options that never change during a run.  ``kernel`` is the kernel whose
    code runs (the variant's: v4.8, v5.4, v5.8); it picks the names the run is told in."""

    kernel: str = "v4.8"
    thp: str = "always"             # transparent_hugepage/enabled: always | madvise
    quarantine: bool = False        # KASAN quarantine on the vm_area_struct cache
    max_ptes_none: int = 511
    fault_huge: bool = True         # a fault in a THP-eligible range gets a huge page
                                    # (False: the huge allocation fails, 4 KiB fallback)


@dataclass(frozen=True, slots=True)
class Mm:
    """The mm_struct: its two counters and its VMA list (slab indices by vm_start).

    exit_mmap in 4.x frees the VMAs but leaves mm->mmap and the rbtree pointing at them,
    so ``vmas`` keeps freed objects after exit; a later find_vma walks freed memory.
    """

    users: int = 1
    count: int = 2                  # the process and khugepaged's mm_slot
    vmas: tuple[int, ...] = ()
    exiting: bool = False           # exit_group ran: the process's threads exit when they can


@dataclass(frozen=True, slots=True)
class Frame:
    program: Program
    pc: int
    locals: tuple[tuple[str, Value], ...] = ()

    def get(self, name: str, default: Value = None) -> Value:
        for k, v in self.locals:
            if k == name:
                return v
        return default

    @property
    def step(self) -> Step:
        """The line it runs next."""
        return self.program.steps[self.pc]

    @property
    def line(self) -> str:
        return self.step.line


@dataclass(frozen=True, slots=True)
class Thread:
    """A kernel thread or a process's task: its call stack, and the system calls it has
    still to make after the current one (``calls``, each a first frame).  ``returns`` has
    the return value of every call it finished."""

    tid: str
    name: str
    frames: tuple[Frame, ...]
    status: str = RUNNABLE
    waiting: tuple[LockId, str] | None = None   # (lock, mode) while blocked
    calls: tuple[Frame, ...] = ()
    returns: tuple[Value, ...] = ()
    on_exit: Frame | None = None    # a thread of the process: its mmput, once the process exits

    @property
    def top(self) -> Frame | None:
        return self.frames[-1] if self.frames else None

    @property
    def at_lock_op(self) -> bool:
        """Whether its next line takes or drops a lock."""
        return self.top is not None and self.top.step.lock_op

    @property
    def result(self) -> Value:
        """What the last call it finished returned (a collapse's SCAN_* code), or None."""
        return self.returns[-1] if self.returns else None


@dataclass(frozen=True, slots=True)
class Event:
    """One thing a step did, as a plain sentence.  ``kind`` sorts the kernel log:
    step, lock, wake, alloc, free, scan-result, note, violation."""

    tid: str
    text: str
    kind: str = "step"
    code: str | None = None


@dataclass(frozen=True, slots=True)
class Violation:
    """A kernel bug the oracles saw.  ``report`` is in the kernel's own form; ``check``
    names the check that would have caught it; ``step`` counts the steps taken."""

    kind: str
    object: str | None
    step: int
    thread: str
    message: str
    report: str
    check: Fix


@dataclass(frozen=True, slots=True)
class State:
    config: Config
    mm: Mm
    slab: Slab
    pmd_tables: tuple[PmdTable, ...]
    pte_tables: tuple[PteTable, ...]
    pages: tuple[Page, ...]
    swap: tuple[tuple[int, str], ...]
    locks: tuple[Lock, ...]
    threads: tuple[Thread, ...]
    next_pfn: int
    next_anon_vma: int = 1
    violation: Violation | None = None
    steps: int = field(default=0, compare=False)
    last: tuple[Event, ...] = field(default=(), compare=False)
    returned: tuple[tuple[str, Value], ...] = field(default=(), compare=False)   # (function, value) this step
    ran_locals: tuple[tuple[str, Value], ...] = field(default=(), compare=False)  # the line's, after it ran

    @property
    def return_codes(self) -> tuple[tuple[str, Value], ...]:
        """Each function the step that produced this state returned from, with its code:
        a program that also hands back a pointer (hugepage_vma_revalidate's ``*vmap``)
        returns (code, pointer), and the code is what a goal names."""
        return tuple((f, v[0] if isinstance(v, tuple) else v) for f, v in self.returned)

    def thread(self, tid: str) -> Thread:
        for t in self.threads:
            if t.tid == tid:
                return t
        raise ModelError(f"no thread {tid!r}")

    def lock(self, lock: LockId) -> Lock | None:
        for lk in self.locks:
            if lk.id == lock:
                return lk
        return None

    def page(self, pfn: int | None) -> Page | None:
        return next((p for p in self.pages if p.pfn == pfn), None)

    def swap_data(self, slot: int | None) -> str | None:
        return next((d for s, d in self.swap if s == slot), None)

    def read_user(self, addr: int) -> str | None:
        """What the process reads at ``addr`` through its live page tables: a page's data,
        the data of a swap entry, or None when nothing is mapped there."""
        table = next((t for t in self.pmd_tables if t.live and t.base == pud_base(addr)), None)
        entry = table.entry(addr) if table else Pmd()
        if entry.kind == HUGE:
            return self.page(entry.target).at(addr)
        if entry.kind != TABLE:
            return None
        pte = next(t for t in self.pte_tables if t.pfn == entry.target).pte(addr)
        if pte.kind == PRESENT:
            return self.page(pte.page).at(addr)
        return self.swap_data(pte.swap) if pte.kind == SWAP else None


def enabled(state: State) -> tuple[str, ...]:
    """The threads that can run a line now, in id order; none once a violation happened."""
    if state.violation is not None:
        return ()
    return tuple(t.tid for t in state.threads if t.status == RUNNABLE)


def step(state: State, tid: str) -> State:
    """Run one line of thread ``tid``.  The caller picks an enabled thread."""
    if tid not in enabled(state):
        raise ModelError(f"thread {tid} cannot run now (enabled: {', '.join(enabled(state)) or 'none'})")
    ctx = Ctx(state, tid)
    try:
        try:
            ctx.run_line()
        except Stop:
            pass
        return ctx.commit()
    except MISFITS as e:            # a file's args the loader cannot check; a ScenarioError, not a crash
        raise misfit(f"step {state.steps + 1}, thread {tid} in {ctx.program.function}()", e) from None


class Stop(Exception):
    """Raised inside a step by :meth:`Ctx.violate`: the line crashed the kernel."""


class Ctx(LockOps):
    """What a line sees and changes: the thread's locals, control flow, locks, and the
    rest of the state through ``get``/``put``.  Lives for one step only."""

    def __init__(self, state: State, tid: str) -> None:
        self.state = state
        self.tid = tid
        self.thread = state.thread(tid)
        self.frames = list(self.thread.frames)
        self.locals: dict[str, Value] = dict(self.frames[-1].locals)
        self.next_pc: int | None = self.frames[-1].pc + 1
        self.changes: dict[str, Any] = {}
        self.locks = {lk.id: lk for lk in state.locks}
        self.woken: list[str] = []
        self.events: list[Event] = []
        self.violation: Violation | None = None
        self.blocked_on: tuple[LockId, str] | None = None
        self.call_req: tuple[Program, dict[str, Value]] | None = None
        self.returned = False
        self.ret_value: Value = None
        self.gave: list[tuple[str, Value]] = []    # (function, value) of each return this step

    # -- the running line -------------------------------------------------------------
    @property
    def me(self) -> str:
        return self.thread.name

    @property
    def program(self) -> Program:
        return self.frames[-1].program

    def run_line(self) -> None:
        line = self.frames[-1].step
        if line.says:
            self.say(line.says.format(me=self.me, **_fmt(self.locals)), kind="step")
        line.effect(self)

    def __getitem__(self, name: str) -> Value:
        return self.locals[name]

    def __setitem__(self, name: str, value: Value) -> None:
        self.locals[name] = value

    def get(self, name: str) -> Any:
        return self.changes.get(name, getattr(self.state, name))

    def put(self, **changes: Any) -> None:
        self.changes.update(changes)

    def say(self, text: str, kind: str = "note", code: str | None = None) -> None:
        self.events.append(Event(self.tid, rename(text, self.state.config.kernel), kind, code))

    # -- control flow -----------------------------------------------------------------
    def goto(self, label: str) -> None:
        self.next_pc = self.program.label(label)

    def call(self, program: Program, **args: Value) -> None:
        """Call ``program``'s function in the caller's own version of it (one of its
        callees): a later era's copy of a path calls the copies it was made with."""
        mine = next((p for p in self.program.callees if p.function == program.function), None)
        assert mine is not None, f"{self.program!r} calls {program!r}, which it does not declare"
        self.call_req = (mine, args)

    def ret(self, value: Value = None) -> None:
        self.returned, self.ret_value = True, value
        self.gave.append((self.program.function, value))

    def violate(self, kind: str, obj: str | None, message: str, report: str, check: Fix) -> None:
        kernel = self.state.config.kernel
        if has_mmap_lock(kernel):         # the report in the kernel's own names
            message, report = rename(message, kernel), rename(report, kernel)
            check = replace(check, text=rename(check.text, kernel))
        self.violation = Violation(kind, obj, self.state.steps + 1, self.tid, message, report, check)
        self.say(message, kind="violation")
        raise Stop

    # -- commit -----------------------------------------------------------------------
    def commit(self) -> State:
        ran_locals = tuple(self.locals.items())       # before a return hands over to the caller's
        threads = {t.tid: t for t in self.state.threads}
        threads[self.tid] = self._commit_self()
        for tid in self.woken:
            t = threads[tid]
            still = self.queued_elsewhere(tid)
            if still is not None:     # it waits for several locks at once: the last one lets it run
                threads[tid] = replace(t, waiting=(still, next(m for q, m in self.locks[still].queue if q == tid)))
                continue
            top = t.frames[-1]
            pc = top.pc if top.step.retry else top.pc + 1
            threads[tid] = replace(t, status=RUNNABLE, waiting=None, frames=t.frames[:-1] + (replace(top, pc=pc),))
        locks = tuple(sorted((lk for lk in self.locks.values() if not lk.is_free or lk.queue),
                             key=lambda lk: lk.name))
        new = replace(self.state, **self.changes, locks=locks,
                      threads=tuple(threads[t.tid] for t in self.state.threads),
                      violation=self.violation, steps=self.state.steps + 1, last=tuple(self.events),
                      returned=tuple(self.gave), ran_locals=ran_locals)
        if new.violation is None and not enabled(new):
            return _deadlock_check(new)
        return new

    def _commit_self(self) -> Thread:
        t = self.thread
        frames = self.frames
        if self.violation is not None:
            return replace(t, frames=tuple(frames[:-1]) + (replace(frames[-1], locals=_pack(self.locals)),))
        if self.blocked_on is not None:
            top = replace(frames[-1], locals=_pack(self.locals))
            return replace(t, frames=tuple(frames[:-1]) + (top,), status=BLOCKED, waiting=self.blocked_on)
        if self.call_req is not None:
            program, args = self.call_req
            top = replace(frames[-1], locals=_pack(self.locals))
            callee = Frame(program, 0, _pack(args))
            return replace(t, frames=tuple(frames[:-1]) + (top, callee))
        while self.returned:
            frames.pop()
            if not frames:
                return self._finish_call(t)
            self.returned = False
            caller = frames[-1]
            self.locals = dict(caller.locals)
            self.next_pc = caller.pc + 1
            on_return = caller.step.on_return
            if on_return is not None:
                try:
                    on_return(self, self.ret_value)
                except Stop:
                    return replace(t, frames=tuple(frames[:-1]) + (replace(caller, locals=_pack(self.locals)),))
        top = replace(frames[-1], pc=self.next_pc, locals=_pack(self.locals))
        return replace(t, frames=tuple(frames[:-1]) + (top,))


    def _finish_call(self, t: Thread) -> Thread:
        """The bottom frame returned: the thread makes its next call, or is done."""
        t = replace(t, returns=t.returns + (self.ret_value,))
        if t.calls:
            return replace(t, frames=t.calls[:1], calls=t.calls[1:])
        if t.on_exit is not None and self.get("mm").exiting:
            self.say(f"{self.me} returns to user space, finds the process exiting, and exits")
            return replace(t, frames=(t.on_exit,), on_exit=None)
        return replace(t, frames=(), status=DONE)


def _deadlock_check(state: State) -> State:
    """No thread can run but some are blocked: a deadlock, with the wait cycle as evidence."""
    blocked = [t for t in state.threads if t.status == BLOCKED]
    if not blocked:
        return state
    waits = []
    for t in blocked:
        name, mode = t.waiting or ("?", "?")
        lk = state.lock(name)
        holders = ", ".join(lk.holders()) if lk else "nobody"
        waits.append(f"{t.name} ({t.tid}) waits for {lock_name(name, state.config.kernel)} ({mode}), held by {holders}")
    message = "no thread can run: " + "; ".join(waits)
    violation = Violation("deadlock", None, state.steps, blocked[0].tid, message,
                          report="INFO: task blocked for more than 120 seconds.\n" + "\n".join(waits),
                          check=fixes.LOCK_ORDER)
    return replace(state, violation=violation,
                   last=state.last + (Event(blocked[0].tid, message, "violation"),))


def _pack(values: dict[str, Value]) -> tuple[tuple[str, Value], ...]:
    return tuple(sorted(values.items()))


def _fmt(values: dict[str, Value]) -> dict[str, str]:
    return {k: (f"{v:#x}" if isinstance(v, int) and not isinstance(v, bool) and v > 4096 else str(v))
            for k, v in values.items()}
