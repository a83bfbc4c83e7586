"""What a search looks for: a Goal, parsed once from the text that links, forms and the
command line carry, and checked against what a scenario's programs can produce."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from engine.errors import GoalError
from engine.oracles import VIOLATION_KINDS, VIOLATION_OBJECTS
from engine.state import State

_SCAN_CODE = re.compile(r"SCAN(?:_[A-Z0-9]+)+")


class ViolationLike(Protocol):
    """What the explorer reads from a violation: its kind and the object it hit."""

    @property
    def kind(self) -> str: ...
    @property
    def object(self) -> str | None: ...


Result = str | int


@dataclass(frozen=True)
class Goal:
    """What a search looks for: any violation (the default), one kind of violation, a kind
    on one object ("use-after-free:vm_area_struct"), a SCAN_* code (some revalidation,
    mm_find_pmd or a thread's final result gives it), or one thread's final result with no
    violation (``result:K=SCAN_SUCCEED``).  Construction checks the combination, so every
    Goal is one of these five."""

    kind: str | None = None
    object: str | None = None
    scan: str | None = None
    thread: str | None = None
    result: Result | None = None

    def __post_init__(self) -> None:
        if self.kind is not None and self.kind not in VIOLATION_KINDS:
            raise ValueError(f"unknown violation kind {self.kind!r}; the kinds are "
                             f"{', '.join(VIOLATION_KINDS)}")
        if self.object is not None and self.kind is None:
            raise ValueError("an object needs a violation kind before it (kind:object)")
        if self.object is not None and self.object not in VIOLATION_OBJECTS:
            raise ValueError(f"unknown object {self.object!r}; the objects are "
                             f"{', '.join(VIOLATION_OBJECTS)}")
        if self.scan is not None and self.kind is not None:
            raise ValueError("a goal is a violation or a scan code, not both")
        if self.scan is not None and not _SCAN_CODE.fullmatch(self.scan):
            raise ValueError(f"{self.scan!r} is not a scan code: SCAN_ and upper-case words "
                             "joined by _, as in SCAN_ADDRESS_RANGE")
        if (self.thread is None) != (self.result is None):
            raise ValueError("a result goal names a thread and its result: result:K=SCAN_SUCCEED")
        if self.thread is not None and (self.kind is not None or self.scan is not None):
            raise ValueError("a goal is a violation, a scan code or a thread's result, not two of them")
        if self.thread is not None and not re.fullmatch(r"[KA-H]", self.thread):
            raise ValueError(f"{self.thread!r} is not a thread id (K or A to H)")

    def __str__(self) -> str:
        if self.thread is not None:
            return f"result:{self.thread}={self.result}"
        if self.scan is not None:
            return self.scan
        if self.kind is None:
            return "any"
        return self.kind if self.object is None else f"{self.kind}:{self.object}"

    @property
    def is_any(self) -> bool:
        """Whether any violation reaches this goal, so covering the space proves "safe"."""
        return self.kind is None and self.scan is None and self.thread is None

    @property
    def is_violation(self) -> bool:
        """Whether a violation is what reaches this goal."""
        return self.scan is None and self.thread is None

    def is_met_by(self, violation: ViolationLike) -> bool:
        """Whether this violation reaches the goal (never, for a scan-code or result goal)."""
        return (self.is_violation and self.kind in (None, violation.kind)
                and self.object in (None, violation.object))

    @property
    def codes(self) -> tuple[str, ...]:
        """The SCAN_* codes this goal needs some thread to produce."""
        wanted = self.scan if self.scan is not None else self.result
        return (wanted,) if isinstance(wanted, str) and _SCAN_CODE.fullmatch(wanted) else ()


def _result(text: str) -> Result:
    return int(text) if re.fullmatch(r"-?\d+", text) else text


def parse_goal(text: str) -> Goal:
    """The Goal that ``text`` names: "any", a violation kind, kind:object, a SCAN_* code or
    result:T=VALUE.

    Raises ValueError with a sentence naming the text when it is none of these."""
    cleaned = text.strip()
    try:
        if cleaned == "any":
            return Goal()
        if cleaned.startswith("SCAN"):
            return Goal(scan=cleaned)
        if cleaned.startswith("result:"):
            thread, equals, value = cleaned.removeprefix("result:").partition("=")
            if not equals or not value.strip():
                raise ValueError("write result:T=VALUE, for example result:K=SCAN_SUCCEED")
            return Goal(thread=thread.strip(), result=_result(value.strip()))
        kind, colon, obj = cleaned.partition(":")
        return Goal(kind=kind, object=obj if colon else None)
    except ValueError as err:
        raise ValueError(f"The goal {text!r} is not valid: {err}. A goal is 'any', a "
                         "violation kind, kind:object, a SCAN_* code or result:T=VALUE.") from None


def check_goal(goal: Goal, start: State, where: str) -> None:
    """Refuse a goal that no schedule from ``start`` could reach because no program there can
    produce it: a result goal for a thread ``where`` does not have, or a SCAN_* code that no
    line of any program its threads can run ever returns.  ``where`` names the scenario and
    variant in the message.  Such a goal is a mistake to report, never a proof."""
    tids = [t.tid for t in start.threads]
    if goal.thread is not None and goal.thread not in tids:
        raise GoalError(f"{where} has no thread {goal.thread} (threads: {', '.join(tids)})")
    programs = {p for t in start.threads
                for frame in t.frames + t.calls + ((t.on_exit,) if t.on_exit else ())
                for p in frame.program.closure()}
    produced = {code for p in programs for s in p.steps for code in _SCAN_CODE.findall(s.line)}
    for code in goal.codes:
        if code not in produced:
            raise GoalError(f"no thread of {where} can return {code}; its programs produce "
                            f"{', '.join(sorted(produced)) or 'no SCAN_* code'}")
