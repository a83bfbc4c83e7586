"""What a schedule exercise asks for: a conjunction of terms, each checked against the run
the learner submitted, never against a stored answer.

    reach(any) | reach(KIND[:OBJECT][@FUNCTION])   the run ends in that violation; @FUNCTION:
                                                   the function the faulting thread ran, or one
                                                   the kernel's report names
    result(T)=CODE, result(T) in {C1, C2}          T is done with that result, no violation
    returned(FUNC)=VALUE                           some step of the run returned VALUE from FUNC
    event(T, FUNC=VALUE [while PATH=VALUE])        a step of T did, with PATH true after it
    final(PATH)=VALUE                              a fact of the final state (engine.facts)
    preemptions <= N, preemptions = N, steps <= N  the submitted schedule, counted from ``from``

Terms are joined by ``&`` (or ``∧``); ``≤`` is accepted for ``<=``.  Each term checks one
thing and says in a sentence what the run did instead (docs/exercises.md#goals).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.facts import Fact, khugepaged_address, parse_value, read, value_text
from engine.oracles import VIOLATION_KINDS, VIOLATION_OBJECTS
from engine.schedule import Run
from engine.state import DONE, State, enabled

_TERM = re.compile(
    r"reach\((?P<reach>[^)]*)\)"
    r"|result\((?P<rt>[A-Z])\)\s*(?:=\s*(?P<rv>\S+)|in\s*\{(?P<rset>[^}]*)\})"
    r"|returned\((?P<fn>[a-z_][a-z0-9_]*)\)\s*=\s*(?P<fv>\S+)"
    r"|event\((?P<et>[A-Z])\s*,\s*(?P<ef>[a-z_][a-z0-9_]*)\s*=\s*(?P<ev>[^\s)]+)"
    r"(?:\s+while\s+(?P<wp>[^=\s]+)\s*=\s*(?P<wv>[^\s)]+))?\)"
    r"|final\((?P<path>.+)\)\s*=\s*(?P<pv>\S+)"
    r"|(?P<count>preemptions|steps)\s*(?P<op><=|=)\s*(?P<n>[0-9]{1,3})")
FORMS = ("reach(KIND[:OBJECT][@FUNCTION]), result(T)=CODE, result(T) in {…}, returned(FUNC)=VALUE, "
         "event(T, FUNC=VALUE), final(PATH)=VALUE, preemptions <= N, preemptions = N or steps <= N")


@dataclass(frozen=True)
class Attempt:
    """A submitted run and what the grader counts on it: ``start`` is the index of the
    exercise's starting state in ``run`` (its ``from`` prefix), ``preemptions`` those of the
    steps after it."""

    run: Run
    start: int
    preemptions: int

    @property
    def final(self) -> State:
        return self.run.final

    @property
    def steps(self) -> int:
        return len(self.run.schedule) - self.start

    def returns(self, tid: str | None = None) -> list[tuple[int, str, object]]:
        """(step number, function, value) of every return in the run, of ``tid``'s steps if given."""
        found = []
        for n, (who, state) in enumerate(zip(self.run.schedule, self.run.states[1:]), start=1):
            if tid is None or who == tid:
                found.extend((n, f, v) for f, v in state.return_codes)
        return found


@dataclass(frozen=True)
class Term:
    """One condition of a goal: its text, as the file wrote it, and its parsed pieces."""

    text: str
    form: str                       # reach, result, returned, event, final, preemptions, steps
    thread: str | None = None
    kind: str | None = None         # reach: None for any
    object: str | None = None
    function: str | None = None     # reach's @FUNCTION, returned's and event's FUNC
    values: tuple[object, ...] = ()
    fact: Fact | None = None        # final's fact, or event's "while" fact
    op: str = "<="
    n: int = 0

    def check(self, attempt: Attempt) -> str | None:
        """None when the term holds, else a sentence saying what the run did instead."""
        return getattr(self, f"_{self.form}")(attempt)

    def _reach(self, a: Attempt) -> str | None:
        v = a.final.violation
        if v is None:
            return f"the goal is {self.text}, and {outcome(a.run)}"
        if self.kind not in (None, v.kind) or self.object not in (None, v.object):
            return f"the run reaches {_violation_name(v)}, not {self.text.removeprefix('reach(').rstrip(')')}"
        if self.function is not None and not violation_in(a.final, self.function):
            return f"the run reaches {v.kind}, but in {violation_function(a.final)}, not in {self.function}"
        return None

    def _result(self, a: Attempt) -> str | None:
        t = a.final.thread(self.thread or "")
        if a.final.violation is not None:
            return f"the goal is that {t.tid} ends with {_either(self.values)} without a violation, " \
                   f"and {outcome(a.run)}"
        if t.status != DONE:
            return f"{t.tid} has not finished after step {len(a.run.schedule)}, so it has no result yet"
        if t.result not in self.values:
            return f"{t.tid} ends with {t.result}, not {_either(self.values)}"
        return None

    def _returned(self, a: Attempt) -> str | None:
        got = [v for _, f, v in a.returns() if f == self.function]
        if self.values[0] in got:
            return None
        said = ", ".join(map(str, dict.fromkeys(got)))
        return f"{self.function} never returns {self.values[0]} in this run" + \
               (f" (it returns {said})" if got else " (it never returns at all)")

    def _event(self, a: Attempt) -> str | None:
        x = khugepaged_address(a.run.states[0])
        hits = [n for n, f, v in a.returns(self.thread) if f == self.function and v == self.values[0]]
        if not hits:
            got = [str(v) for _, f, v in a.returns(self.thread) if f == self.function]
            return (f"no step of {self.thread} has {self.function} return {self.values[0]}"
                    + (f" (it returns {', '.join(dict.fromkeys(got))})" if got else ""))
        if self.fact is not None and not any(self.fact.holds(a.run.states[n], x) for n in hits):
            seen = read(a.run.states[hits[0]], self.fact.path, x)
            return (f"{self.thread}'s {self.function} returns {self.values[0]} at step {hits[0]}, but then "
                    f"{self.fact.path} is {value_text(seen)}, not {value_text(self.fact.value)}")
        return None

    def _final(self, a: Attempt) -> str | None:
        assert self.fact is not None
        seen = read(a.final, self.fact.path, khugepaged_address(a.run.states[0]))
        if seen == self.fact.value:
            return None
        return f"at the end {self.fact.path} is {value_text(seen)}, not {value_text(self.fact.value)}"

    def _preemptions(self, a: Attempt) -> str | None:
        return _count(self, a.preemptions, "preemption")

    def _steps(self, a: Attempt) -> str | None:
        return _count(self, a.steps, "step")


def _count(term: Term, have: int, what: str) -> str | None:
    ok = have == term.n if term.op == "=" else have <= term.n
    if ok:
        return None
    want = f"exactly {term.n}" if term.op == "=" else f"at most {term.n}"
    return f"the schedule has {have} {what}{'' if have == 1 else 's'}; the goal allows {want}"


def _either(values: tuple[object, ...]) -> str:
    return " or ".join(map(str, values))


def _violation_name(v: object) -> str:
    kind, obj = getattr(v, "kind"), getattr(v, "object")
    return kind if obj is None else f"{kind}:{obj}"


def violation_function(state: State) -> str:
    """The function the faulting thread was running when the violation happened."""
    v = state.violation
    assert v is not None
    top = state.thread(v.thread).top
    return top.program.function if top is not None else "(no function)"


def violation_in(state: State, function: str) -> bool:
    """Whether the violation happened in ``function``: the one its thread ran, or one its
    report names (an oops's IP and call trace, KASAN's "in …")."""
    v = state.violation
    return v is not None and (violation_function(state) == function
                              or re.search(rf"\b{re.escape(function)}\b", v.report) is not None)


def outcome(run: Run) -> str:
    """How the run ends, as the second half of a sentence: "the run ends at step 41 in
    null-deref (…)" or "the run ends after 30 steps with no violation; K returned …"."""
    state, n = run.final, len(run.schedule)
    v = state.violation
    if v is not None:
        return f"the run ends at step {v.step} in {_violation_name(v)} ({v.message})"
    results = [f"{t.tid} returned {t.result}" for t in state.threads
               if t.status == DONE and isinstance(t.result, str)]
    tail = f"; {', '.join(results)}" if results else ""
    if enabled(state):
        return f"after {n} steps there is no violation and {', '.join(enabled(state))} can still run{tail}"
    return f"the run ends after {n} steps with no violation{tail}"


def parse_goal(text: str) -> tuple[Term, ...]:
    """The terms of ``text``; raises ValueError with a sentence naming the bad term."""
    terms = []
    for part in re.split(r"&|∧", text.replace("≤", "<=").replace("∈", " in ")):
        part = part.strip()
        m = _TERM.fullmatch(part)
        if m is None:
            raise ValueError(f"{part!r} is not a goal term; the terms are {FORMS}")
        terms.append(_term(part, m))
    if not any(t.form in ("reach", "result", "returned", "event", "final") for t in terms):
        raise ValueError(f"the goal {text!r} only counts steps; it also needs something to reach")
    return tuple(terms)


def _term(part: str, m: re.Match[str]) -> Term:
    if m["reach"] is not None:
        what, _, function = m["reach"].strip().partition("@")
        kind, colon, obj = what.partition(":")
        if kind == "any":
            if colon or function:
                raise ValueError("reach(any) takes no object or function")
            return Term(part, "reach")
        if kind not in VIOLATION_KINDS:
            raise ValueError(f"{kind!r} is not a violation kind; the kinds are {', '.join(VIOLATION_KINDS)}")
        if colon and obj not in VIOLATION_OBJECTS:
            raise ValueError(f"{obj!r} is not an object; the objects are {', '.join(VIOLATION_OBJECTS)}")
        if function and not re.fullmatch(r"[a-z_][a-z0-9_]*", function):
            raise ValueError(f"{function!r} is not a kernel function name")
        return Term(part, "reach", kind=kind, object=obj if colon else None, function=function or None)
    if m["rt"] is not None:
        values = [m["rv"]] if m["rv"] is not None else [v.strip() for v in m["rset"].split(",") if v.strip()]
        if not values:
            raise ValueError(f"{part!r} names no result: write result(T) in {{CODE, CODE}}")
        return Term(part, "result", thread=m["rt"], values=tuple(parse_value(v) for v in values))
    if m["fn"] is not None:
        return Term(part, "returned", function=m["fn"], values=(parse_value(m["fv"]),))
    if m["et"] is not None:
        fact = Fact(m["wp"], parse_value(m["wv"])) if m["wp"] else None
        return Term(part, "event", thread=m["et"], function=m["ef"], values=(parse_value(m["ev"]),), fact=fact)
    if m["path"] is not None:
        return Term(part, "final", fact=Fact(re.sub(r"\s+", "", m["path"]), parse_value(m["pv"])))
    if m["count"] == "steps" and m["op"] == "=":
        raise ValueError("write steps <= N: a goal bounds the length of a schedule, it does not fix it")
    return Term(part, m["count"], op=m["op"], n=int(m["n"]))
