"""What a search looks for: a Goal, parsed once from the text that links, forms and the
command line carry, and checked against what a scenario's programs can produce.

The forms (curriculum "Goal notation"; docs/model.md#goals):

    any                                 any violation (the default)
    null-deref, kind:object             one kind of violation, on one object
    SCAN_VMA_NULL                       a SCAN_* code from any source: a revalidation, mm_find_pmd, a final result
    returned(FUNC)=CODE                 function FUNC returns CODE at some step
    result:K=SCAN_SUCCEED, result(K)=…  thread K is done with that final result, no violation
    final(PATH)=VALUE                   a fact of the state, no violation (engine.facts)

A result goal and final facts combine with ``&``: ``result(K)=SCAN_SUCCEED & final(pmd[X])=huge``
is reached by a state where all of them hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from engine.errors import GoalError
from engine.facts import Fact, khugepaged_address, parse_value, value_text
from engine.oracles import VIOLATION_KINDS, VIOLATION_OBJECTS
from engine.program import Program
from engine.state import State

_SCAN_CODE = re.compile(r"SCAN(?:_[A-Z0-9]+)+")
_CALL = re.compile(r"(?P<form>result|returned|final)\((?P<arg>.+)\)\s*=\s*(?P<value>\S.*)")
FORMS = ("'any', a violation kind, kind:object, a SCAN_* code, returned(FUNC)=CODE, result(T)=VALUE "
         "or final(PATH)=VALUE (the last two joined by &)")


class ViolationLike(Protocol):
    """What the explorer reads from a violation: its kind and the object it hit."""

    @property
    def kind(self) -> str: ...
    @property
    def object(self) -> str | None: ...


Result = str | int


@dataclass(frozen=True)
class Goal:
    """One of: any violation (all fields empty), one kind of violation (``kind``, maybe
    ``object``), a SCAN_* code from any source (``scan``), a function's return
    (``function`` and ``returned``), or a state goal: one thread's final result
    (``thread``, ``result``) and/or facts of the state.  Construction checks the
    combination, so every Goal is one of these."""

    kind: str | None = None
    object: str | None = None
    scan: str | None = None
    thread: str | None = None
    result: Result | None = None
    function: str | None = None
    returned: Result | None = None
    facts: tuple[Fact, ...] = ()

    def __post_init__(self) -> None:
        if self.kind is not None and self.kind not in VIOLATION_KINDS:
            raise ValueError(f"unknown violation kind {self.kind!r}; the kinds are "
                             f"{', '.join(VIOLATION_KINDS)}")
        if self.object is not None and self.kind is None:
            raise ValueError("an object needs a violation kind before it (kind:object)")
        if self.object is not None and self.object not in VIOLATION_OBJECTS:
            raise ValueError(f"unknown object {self.object!r}; the objects are "
                             f"{', '.join(VIOLATION_OBJECTS)}")
        if self.scan is not None and not _SCAN_CODE.fullmatch(self.scan):
            raise ValueError(f"{self.scan!r} is not a scan code: SCAN_ and upper-case words "
                             "joined by _, as in SCAN_ADDRESS_RANGE")
        if (self.thread is None) != (self.result is None):
            raise ValueError("a result goal names a thread and its result: result(K)=SCAN_SUCCEED")
        if (self.function is None) != (self.returned is None):
            raise ValueError("a returned goal names a function and a value: returned(FUNC)=CODE")
        if self.thread is not None and not re.fullmatch(r"[KA-HS]", self.thread):
            raise ValueError(f"{self.thread!r} is not a thread id (K, A to H, or S)")
        if self.function is not None and not re.fullmatch(r"[a-z_][a-z0-9_]*", self.function):
            raise ValueError(f"{self.function!r} is not a kernel function name")
        alone = [self.kind is not None, self.scan is not None, self.function is not None, self.is_state]
        if sum(alone) > 1:
            raise ValueError("only result(T)=… and final(…)=… goals combine with &")

    def __str__(self) -> str:
        if self.function is not None:
            return f"returned({self.function})={self.returned}"
        if self.is_state:
            head = [f"result:{self.thread}={self.result}"] if self.thread is not None else []
            return " & ".join(head + [str(f) for f in self.facts])
        if self.scan is not None:
            return self.scan
        if self.kind is None:
            return "any"
        return self.kind if self.object is None else f"{self.kind}:{self.object}"

    @property
    def is_state(self) -> bool:
        """Whether the goal is a state with no violation: a thread's result and/or facts."""
        return self.thread is not None or bool(self.facts)

    @property
    def is_any(self) -> bool:
        """Whether any violation reaches this goal, so covering the space proves "safe"."""
        return self.is_violation and self.kind is None

    @property
    def is_violation(self) -> bool:
        """Whether a violation is what reaches this goal."""
        return self.scan is None and self.function is None and not self.is_state

    def is_met_by(self, violation: ViolationLike) -> bool:
        """Whether this violation reaches the goal (never, for the other forms)."""
        return (self.is_violation and self.kind in (None, violation.kind)
                and self.object in (None, violation.object))

    @property
    def codes(self) -> tuple[str, ...]:
        """The SCAN_* codes this goal needs some program to produce."""
        wanted = (self.scan, self.result, self.returned)
        return tuple(w for w in wanted if isinstance(w, str) and _SCAN_CODE.fullmatch(w))

    def describe(self) -> str:
        """The goal in words, for a headline: "K ends with SCAN_SUCCEED and pmd[X] is huge"."""
        if self.function is not None:
            return f"{self.function} returns {self.returned}"
        if self.is_state:
            head = [f"{self.thread} ends with {self.result}"] if self.thread is not None else []
            return " and ".join(head + [f"{f.path} is {value_text(f.value)}" for f in self.facts])
        if self.scan is not None:
            return f"a step gives {self.scan}"
        return "a violation" if self.kind is None else str(self)


def _part(text: str) -> Goal:
    if text == "any":
        return Goal()
    if text.startswith("SCAN"):
        return Goal(scan=text)
    if text.startswith("result:"):
        thread, equals, value = text.removeprefix("result:").partition("=")
        if not equals or not value.strip():
            raise ValueError("write result:T=VALUE, for example result:K=SCAN_SUCCEED")
        return Goal(thread=thread.strip(), result=parse_value(value))
    call = _CALL.fullmatch(text)
    if call is not None:
        arg, value = call["arg"].strip(), parse_value(call["value"])
        if call["form"] == "result":
            return Goal(thread=arg, result=value)
        if call["form"] == "returned":
            return Goal(function=arg, returned=value)
        return Goal(facts=(Fact(re.sub(r"\s+", "", arg), value),))
    if re.match(r"(result|returned|final)\b", text):
        raise ValueError(f"write {text.partition('(')[0]}(…)=VALUE")
    kind, colon, obj = text.partition(":")
    return Goal(kind=kind, object=obj if colon else None)


def parse_goal(text: str) -> Goal:
    """The Goal that ``text`` names (see the module docstring for the forms).

    Raises ValueError with a sentence naming the text when it is none of these."""
    try:
        parts = [_part(p.strip()) for p in re.split(r"&|∧", text.strip())]
        if len(parts) == 1:
            return parts[0]
        if not all(p.is_state for p in parts) or sum(p.thread is not None for p in parts) > 1:
            raise ValueError("only one result(T)=… and any number of final(…)=… goals combine with &")
        result = next((p for p in parts if p.thread is not None), Goal())
        return Goal(thread=result.thread, result=result.result, facts=tuple(f for p in parts for f in p.facts))
    except ValueError as err:
        raise ValueError(f"The goal {text!r} is not valid: {err}. A goal is {FORMS}.") from None


def check_goal(goal: Goal, start: State, where: str) -> None:
    """Refuse a goal that no schedule from ``start`` could reach because no program there can
    produce it: a result goal for a thread ``where`` does not have, a function none of its
    threads runs, a SCAN_* code that no line of their programs returns, or X in a scenario
    without khugepaged.  ``where`` names the scenario and variant in the message.  Such a
    goal is a mistake to report, never a proof."""
    tids = [t.tid for t in start.threads]
    if goal.thread is not None and goal.thread not in tids:
        raise GoalError(f"{where} has no thread {goal.thread} (threads: {', '.join(tids)})")
    programs = programs_of(start)
    functions = returning_functions(programs)
    if goal.function is not None and goal.function not in functions:
        raise GoalError(f"no thread of {where} runs {goal.function}; its functions are {', '.join(functions)}")
    produced = produced_codes(programs)
    for code in goal.codes:
        if code not in produced:
            raise GoalError(f"no thread of {where} can return {code}; its programs produce "
                            f"{', '.join(sorted(produced)) or 'no SCAN_* code'}")
    if any(f.uses_x for f in goal.facts) and khugepaged_address(start) is None:
        raise GoalError(f"{where} has no khugepaged thread, so X (its address) means nothing here")


def produced_codes(programs: set[Program]) -> list[str]:
    """The SCAN_* codes some line of ``programs`` returns or sets, sorted."""
    return sorted({code for p in programs for s in p.steps for code in _SCAN_CODE.findall(s.line)})


TRYLOCK_FUNCTIONS = ("down_read_trylock", "down_write_trylock", "trylock_page", "spin_trylock")
_TRYLOCK_CALL = re.compile(rf"\b({'|'.join(TRYLOCK_FUNCTIONS)})\(")


def programs_of(start: State) -> set[Program]:
    """Every program a thread of ``start`` can run, callees included."""
    return {p for t in start.threads
            for frame in t.frames + t.calls + ((t.on_exit,) if t.on_exit else ())
            for p in frame.program.closure()}


def returning_functions(programs: set[Program]) -> list[str]:
    """The functions whose returns a step records: each program's own, and the trylocks
    its lines call (engine.locking records their 1 or 0)."""
    called = {m for p in programs for s in p.steps for m in _TRYLOCK_CALL.findall(s.line)}
    return sorted({p.function for p in programs} | called)
