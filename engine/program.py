"""The step-program form: a kernel path as data.

A :class:`Program` is a kernel function written as a tuple of :class:`Step` s, one line of
our own pseudo-C each.  A step's ``effect`` runs against a :class:`engine.state.Ctx` and
does that line atomically: it reads or changes the modelled kernel, moves the program
counter (by default to the next line), calls another program (the callee gets a frame the
UI shows in the call stack), returns, or blocks on a lock.

A line that calls (``result = hugepage_vma_revalidate(...)``) has an ``on_return`` that
runs, still as part of the callee's return step, with the returned value: it stores the
value and takes the line's branch, exactly as the one line of C does.

Programs compare and hash by (function, variant), so a thread's frames stay plain values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Protocol

if TYPE_CHECKING:
    from engine.state import Ctx

Value = Any   # int | str | bool | None | engine.kernel.ptr.Ptr
Effect = Callable[["Ctx"], None]
OnReturn = Callable[["Ctx", Value], None]


@dataclass(frozen=True, slots=True)
class Step:
    """One line: its pseudo-C, what it does, and the plain sentence a screen reader hears.

    ``says`` is formatted with the thread's name as ``{me}`` and the frame's locals.
    ``lock_op`` marks lines that take or release a lock ("run to the next lock operation").
    ``retry``: a thread woken after waiting on this line runs it again instead of going
    past it: a one-step line that takes a spinlock inside (``__pte_alloc``'s pmd_lock) waits
    for it and then rechecks what it read, as the kernel does once it holds the lock.
    ``shows`` names the locals the line decides on (``vma``, ``vma_orig``): once it has
    run, the player draws their values beside it.
    """

    line: str
    effect: Effect
    says: str = ""
    label: str | None = None
    on_return: OnReturn | None = None
    lock_op: bool = False
    retry: bool = False
    shows: tuple[str, ...] = ()


def line(text: str, says: str = "", *, label: str | None = None, on_return: OnReturn | None = None,
         lock_op: bool = False, retry: bool = False, shows: tuple[str, ...] = ()) -> Callable[[Effect], Step]:
    """Write a step where its line is: the decorated function is the line's effect.

        @line("up_read(&mm->mmap_sem);", "{me} drops mmap_sem (read)", lock_op=True)
        def up_read(c): c.release(MMAP_SEM, READ)

    binds ``up_read`` to the Step."""
    def make(effect: Effect) -> Step:
        return Step(text, effect, says, label, on_return, lock_op, retry, shows)
    return make


def lock_step(lock: Any, mode: str, text: str, says: str, *, label: str | None = None) -> Step:
    """A line that takes ``lock`` (an engine.kernel.locks.LockId) in ``mode``, or queues."""
    return Step(text, lambda c: c.acquire(lock, mode), says, label, lock_op=True)


def unlock_step(lock: Any, mode: str, text: str, says: str, *, label: str | None = None) -> Step:
    """A line that releases ``lock`` held in ``mode``."""
    return Step(text, lambda c: c.release(lock, mode), says, label, lock_op=True)


@dataclass(frozen=True, eq=False)
class Program:
    """A kernel function as steps.  ``doc`` lists departures from the kernel; ``callees``
    are the programs its lines call (a line may call no other)."""

    function: str
    kernel: str
    variant: str
    params: tuple[str, ...]
    steps: tuple[Step, ...]
    doc: str = ""
    callees: tuple[Program, ...] = ()
    labels: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        labels = {s.label: i for i, s in enumerate(self.steps) if s.label}
        object.__setattr__(self, "labels", labels)

    def label(self, name: str) -> int:
        return self.labels[name]

    def closure(self) -> tuple[Program, ...]:
        """This program and every program it can call, each once, callers first."""
        out: list[Program] = []
        todo = [self]
        while todo:
            p = todo.pop(0)
            if p not in out:
                out.append(p)
                todo.extend(p.callees)
        return tuple(out)

    @property
    def text(self) -> str:
        """Its name and lines: what a link's digest covers."""
        return repr(self) + "\n" + "\n".join(s.line for s in self.steps)

    @property
    def key(self) -> tuple[str, str]:
        return self.function, self.variant

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Program) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"{self.function}@{self.variant}"


class Start(Protocol):
    """What a path's setup may ask of the scenario's initial address space."""

    def vma_at(self, addr: int) -> Value:
        """A pointer to the VMA that contains ``addr`` (a ScenarioError if none does)."""

    def io_page(self, tid: str) -> int:
        """The pfn of the swap cache page whose read thread ``tid`` is."""

    def huge_page(self, addr: int) -> tuple[int, int]:
        """The pfn of the THP a huge pmd maps at ``addr``, and its anon_vma (page->mapping)."""


Setup = Callable[[dict[str, Value], Start, str, Program], dict[str, Value]]


@dataclass(frozen=True)
class Path:
    """A kernel path a scenario thread can run, as the registry lists it.

    ``name`` is what scenario files write; ``program`` the v4.8 code (a variant may replace
    it); ``setup`` completes a thread's arguments from the initial address space (given the
    args, the Start, the thread id and the program the variant runs); ``holds`` are the
    locks, with modes, a thread on this path already holds when the scenario starts.
    ``task``: the path is a system call or fault of the process, so its thread is one of
    the process's and holds an mm_users reference; ``exits``: the path is that thread's exit."""

    name: str
    program: Program
    setup: Setup | None = None
    holds: tuple[tuple[Any, str], ...] = ()
    task: bool = False
    exits: bool = False
