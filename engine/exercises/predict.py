"""Predict questions: "what happens when T takes its next step?", answered by taking it.

A question is a state (``at``, directives from step 0), the steps to take (``step``,
directives; one step of the thread by default) and a query read from the result.  Both the
choices and the answer come from the states, never from the file: the file may only pick
which generated choices to show (docs/exercises.md#predict).

    blocks_on(T)         the lock T waits for after the step, or nothing
    returns(FUNC)        what FUNC returned in the step (a trylock's 1 or 0, a SCAN_* code)
    trylock_result       what the thread's trylock returned in the step, whichever lock: 1 or 0
    holders(LOCK)        who holds LOCK after the step: nobody, one thread, or several
    ptr_equal(A, B)      whether the line's locals A and B point to the same object
    find_vma(ADDR)       the object find_vma(ADDR) finds after the step, or NULL
    outcome(T)           how T ends: a violation, its result, or still running
    unblocks(T)          which line of the stepping thread lets blocked thread T run again
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import combinations

from engine.eras import lock_name
from engine.facts import khugepaged_address, read
from engine.goal import TRYLOCK_FUNCTIONS, programs_of
from engine.kernel.locks import IRQ, MMAP_SEM
from engine.kernel.slab import ALLOCATED
from engine.oracles import VIOLATION_KINDS
from engine.schedule import Run
from engine.state import BLOCKED, DONE, State, enabled

_QUERY = re.compile(r"(?P<name>blocks_on|returns|trylock_result|holders|ptr_equal|find_vma|outcome|unblocks)"
                    r"\((?P<args>[^()]*)\)|(?P<bare>trylock_result)")
_SCAN = re.compile(r"SCAN(?:_[A-Z0-9]+)+")
_CALLED = re.compile(r"\b([a-z_][a-z0-9_]*)\(")
QUERIES = ("blocks_on(T), returns(FUNC), trylock_result, holders(mmap_sem), ptr_equal(A, B), find_vma(ADDR), "
           "outcome(T), unblocks(T)")
BLOCKS = "blocks"
REVEAL_EVENTS = 3       # what a reveal quotes of the steps it took: their last events


@dataclass(frozen=True)
class Choice:
    """One answer a learner can pick: ``id`` is what a submission names, ``text`` what the page shows."""

    id: str
    text: str


@dataclass(frozen=True)
class Query:
    name: str
    args: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.name}({', '.join(self.args)})"


def parse_query(text: str) -> Query:
    m = _QUERY.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"{text!r} is not a predict query; the queries are {QUERIES}")
    if m["bare"]:
        return Query("trylock_result", ())
    args = tuple(a.strip() for a in m["args"].split(",") if a.strip())
    want = {"ptr_equal": 2, "trylock_result": 0}.get(m["name"], 1)
    if len(args) != want:
        raise ValueError(f"{m['name']} takes {want} argument{'s' if want > 1 else ''}, not {len(args)}")
    return Query(m["name"], args)


def choices(query: Query, before: Run, tid: str) -> tuple[Choice, ...]:
    """Every answer the query could have from ``before``'s last state, whatever the step does."""
    return _CHOICES[query.name](query, before, tid)


def answer(query: Query, before: Run, after: Run, tid: str) -> str:
    """The id of the choice that is true once ``after`` (``before`` and the steps) has run."""
    return _ANSWERS[query.name](query, before, after, tid)


def reveal(query: Query, before: Run, after: Run, tid: str) -> str:
    """The answer in a sentence, with what the step did: for the reveal and the grader's reason."""
    picked = answer(query, before, after, tid)
    text = next((c.text for c in choices(query, before, tid) if c.id == picked), picked)
    events = [e.text for s in after.states[len(before.states):] for e in s.last if e.kind != "step"]
    said = "; ".join(events[-REVEAL_EVENTS:])
    where = "the step" if len(after.states) - len(before.states) == 1 else "at the end"
    return f"{text}" + (f" ({where}: {said})" if said else "")


@dataclass(frozen=True)
class Predict:
    """A question asked in ``before``'s last state, the run ``after`` that takes its step,
    the choices shown and the id of the true one."""

    query: Query
    thread: str
    before: Run
    after: Run
    choices: tuple[Choice, ...]
    answer: str

    @property
    def reveal(self) -> str:
        return reveal(self.query, self.before, self.after, self.thread)


def ask(text: str, tid: str, before: Run, after: Run, picked: list[str] | tuple[str, ...] = ()) -> Predict:
    """The question ``text`` about ``tid``'s step from ``before`` to ``after``, showing the
    generated choices ``picked`` (all of them when none are): a ValueError with a sentence
    when the query does not parse, names a choice it cannot have, or its answer is not shown."""
    query = parse_query(text)
    generated = choices(query, before, tid)
    by_id = {c.id: c for c in generated}
    unknown = [c for c in picked if c not in by_id]
    if unknown:
        raise ValueError(f"choices {', '.join(unknown)} are not answers {query} can have here; "
                         f"it can be {', '.join(by_id)}")
    shown = tuple(by_id[c] for c in picked) if picked else generated
    right = answer(query, before, after, tid)
    if right not in {c.id for c in shown}:
        raise ValueError(f"the answer, found by taking the step, is {right!r}, which is not among "
                         f"the choices shown ({', '.join(c.id for c in shown)})")
    return Predict(query, tid, before, after, shown, right)


# -- blocks_on ------------------------------------------------------------------------------
def _lock_text(state: State, lock: object) -> str:
    name = lock_name(lock, state.config.kernel)
    held = state.lock(lock)  # type: ignore[arg-type]
    if getattr(lock, "kind", "") == IRQ and held is not None:
        return f"the TLB-flush IPI to {held.writer}'s CPU, where interrupts are off"
    if held is None or held.is_free:
        return f"{name} (free now)"
    if held.writer:
        return f"{name} ({held.writer} holds it{' for write' if held.kind == 'rwsem' else ''})"
    return f"{name} ({'+'.join(held.readers)} hold{'s' if len(held.readers) == 1 else ''} it for read)"


def _blocks_on_choices(query: Query, run: Run, tid: str) -> tuple[Choice, ...]:
    before = run.final
    locks = [MMAP_SEM] + [lk.id for lk in before.locks if lk.id != MMAP_SEM]
    return tuple(Choice(str(lk), f"it waits for {_lock_text(before, lk)}") for lk in locks) + (
        Choice("nothing", f"nothing: {query.args[0]} runs on"),)


def _blocks_on(query: Query, before: Run, after: Run, tid: str) -> str:
    t = after.final.thread(query.args[0])
    return str(t.waiting[0]) if t.status == BLOCKED and t.waiting else "nothing"


# -- returns ----------------------------------------------------------------------------------
def _returns_choices(query: Query, run: Run, tid: str) -> tuple[Choice, ...]:
    before = run.final
    function = query.args[0]
    if function.endswith("trylock") or function.startswith("trylock"):
        values = ["1", "0"]
    else:
        values = sorted({c for p in programs_of(before) if p.function == function
                         for s in p.steps for c in _SCAN.findall(s.line)})
    return tuple(Choice(v, f"{function} returns {v}") for v in values) + (
        Choice(BLOCKS, f"{tid} blocks before {function} returns"),)


def _returns(query: Query, before: Run, after: Run, tid: str) -> str:
    got = [v for s in after.states[len(before.states):] for f, v in s.return_codes if f == query.args[0]]
    if got:
        return str(got[-1])
    return BLOCKS if after.final.thread(tid).status == BLOCKED else "none"


# -- trylock_result: what the stepping thread's trylock gave, whichever lock it tried ----------
def _trylock_choices(query: Query, run: Run, tid: str) -> tuple[Choice, ...]:
    return (Choice("1", "1: it takes the lock"), Choice("0", "0: it fails and goes on without it"),
            Choice(BLOCKS, f"{tid} blocks instead"))


def _trylock_result(query: Query, before: Run, after: Run, tid: str) -> str:
    got = [v for s in after.states[len(before.states):] for f, v in s.return_codes if f in TRYLOCK_FUNCTIONS]
    if got:
        return str(got[-1])
    if after.final.thread(tid).status == BLOCKED:
        return BLOCKS
    raise ValueError(f"{tid} tries no lock in that step")


# -- holders ----------------------------------------------------------------------------------
def _holders_choices(query: Query, run: Run, tid: str) -> tuple[Choice, ...]:
    before = run.final
    tids = [t.tid for t in before.threads]
    groups = [(t,) for t in tids] + list(combinations(tids, 2))
    return (Choice("nobody", "nobody"),) + tuple(Choice("+".join(g), " and ".join(g)) for g in groups)


def _named(state: State, lock: object, name: str) -> bool:
    """Whether ``name`` is the lock's: its own name or the one ``state``'s kernel calls it (mmap_lock)."""
    return name in (str(lock), lock_name(lock, state.config.kernel))


def _holders(query: Query, before: Run, after: Run, tid: str) -> str:
    name, state = query.args[0], after.final
    known = [lk.id for s in (before.final, state) for lk in s.locks] + [MMAP_SEM]
    if not any(_named(state, lk, name) for lk in known):
        raise ValueError(f"there is no lock {name!r} here; the locks are "
                         f"{', '.join(dict.fromkeys(lock_name(lk, state.config.kernel) for lk in known))}")
    lk = next((lk for lk in state.locks if _named(state, lk.id, name)), None)
    if lk is None or lk.is_free:
        return "nobody"
    return lk.writer or "+".join(sorted(lk.readers))


# -- ptr_equal --------------------------------------------------------------------------------
def _ptr_choices(query: Query, run: Run, tid: str) -> tuple[Choice, ...]:
    a, b = query.args
    return (Choice("equal", f"{a} == {b}: the same object"), Choice("different", f"{a} != {b}"),
            Choice("null", f"{a} is NULL"), Choice(BLOCKS, f"{tid} blocks before it compares them"))


def _ptr_equal(query: Query, before: Run, after: Run, tid: str) -> str:
    if after.final.thread(tid).status == BLOCKED:
        return BLOCKS
    a, b = query.args
    top = before.final.thread(tid).top
    line = top.line if top is not None else ""
    if not (re.search(rf"\b{a}\b", line) and re.search(rf"\b{b}\b", line)):
        raise ValueError(f"the line {tid} runs next ({line.strip()}) does not compare {a} and {b}")
    seen = dict(after.final.ran_locals)
    if a not in seen or b not in seen:
        raise ValueError(f"the line {tid} runs has no local {a if a not in seen else b}")
    if seen[a] is None:
        return "null"
    return "equal" if seen[b] is not None and seen[a].addr == seen[b].addr else "different"


# -- find_vma ---------------------------------------------------------------------------------
def roles(initial: State) -> dict[int, str]:
    """What to call each slab object, by what it was at step 0: V1, V2 … the VMAs in address
    order, free1, free2 … the free objects in the order the slab hands them out.  Unlike its
    address, an object's role is the same in every seeded instance of the scenario."""
    named = {i: f"V{n}" for n, i in enumerate(initial.mm.vmas, start=1)}
    named.update({i: f"free{n}" for n, i in enumerate(initial.slab.freelist, start=1)})
    return named


def _vma_text(state: State, index: int, role: str) -> str:
    obj = state.slab.get(index)
    whose = f"{obj.addr:#x} ({role}'s object)" if role.startswith("V") else f"{obj.addr:#x} (free at step 0)"
    if obj.vma is None:
        return f"{whose}: never used"
    span = f"[{obj.vma.start:#x}, {obj.vma.end:#x})"
    if obj.state != ALLOCATED:
        return f"{whose}: {obj.state} now; it held {span}, gen {obj.gen}"
    return f"{whose}: now the vma {span}, gen {obj.gen}"


def _find_vma_choices(query: Query, run: Run, tid: str) -> tuple[Choice, ...]:
    initial = run.states[0]
    named = roles(initial)
    order = initial.mm.vmas + initial.slab.freelist
    return (Choice("NULL", "NULL: no vma ends above it"),) + tuple(Choice(named[i], _vma_text(run.final, i, named[i]))
                                                                   for i in order)


def _find_vma(query: Query, before: Run, after: Run, tid: str) -> str:
    found = read(after.final, f"find_vma({query.args[0]})", khugepaged_address(before.states[0]))
    if found == "NULL":
        return "NULL"
    return roles(before.states[0])[next(i for i, o in enumerate(after.final.slab.objects) if o.addr == found)]


# -- outcome ----------------------------------------------------------------------------------
def _outcome_choices(query: Query, run: Run, tid: str) -> tuple[Choice, ...]:
    before = run.final
    who = query.args[0]
    programs = programs_of(before)
    codes = sorted({c for p in programs for s in p.steps for c in _SCAN.findall(s.line)})
    return (tuple(Choice(c, f"{who} ends with {c}") for c in codes)
            + tuple(Choice(k, f"a {k} report") for k in VIOLATION_KINDS)
            + (Choice("running", f"{who} has not finished"),))


def _outcome(query: Query, before: Run, after: Run, tid: str) -> str:
    state = after.final
    if state.violation is not None:
        return state.violation.kind
    t = state.thread(query.args[0])
    return str(t.result) if t.status == DONE else "running"


# -- unblocks ---------------------------------------------------------------------------------
def _unblocks_choices(query: Query, run: Run, tid: str) -> tuple[Choice, ...]:
    before = run.final
    top = before.thread(tid).top
    names: list[str] = []
    if top is not None:
        for s in top.program.steps[top.pc:]:
            names += [n for n in _CALLED.findall(s.line) if n not in names]
    return tuple(Choice(n, f"{tid}'s {n}") for n in names) + (Choice("never", f"no step of {tid}"),)


def _unblocks(query: Query, before: Run, after: Run, tid: str) -> str:
    waiter = query.args[0]
    for prev, state in zip(after.states[len(before.states) - 1:], after.states[len(before.states):]):
        if waiter not in enabled(prev) and waiter in enabled(state):
            frame = prev.thread(tid).top
            called = _CALLED.findall(frame.line) if frame else []
            return called[0] if called else "never"
    return "never"


_CHOICES = {"blocks_on": _blocks_on_choices, "returns": _returns_choices, "trylock_result": _trylock_choices,
            "holders": _holders_choices,
            "ptr_equal": _ptr_choices, "find_vma": _find_vma_choices, "outcome": _outcome_choices,
            "unblocks": _unblocks_choices}
_ANSWERS = {"blocks_on": _blocks_on, "returns": _returns, "trylock_result": _trylock_result, "holders": _holders,
            "ptr_equal": _ptr_equal,
            "find_vma": _find_vma, "outcome": _outcome, "unblocks": _unblocks}
