"""The mm model as the explorer's :class:`engine.explore.Model`."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from engine.facts import Fact, khugepaged_address
from engine.goal import ViolationLike
from engine.state import State, enabled, step


@dataclass(frozen=True)
class EngineModel:
    """The mm model as a :class:`Model`: the engine's own enabled() and step() from one
    start state.  States compare without their history, so they are their own keys.
    ``from_state`` starts from the state a schedule reached instead of step 0."""

    start: State
    ran_last: str = ""

    @classmethod
    def from_state(cls, state: State, schedule: Sequence[str]) -> EngineModel:
        """A search from ``state``, which ``schedule`` reached."""
        return cls(state, schedule[-1] if schedule else "")

    def initial(self) -> State:
        return self.start

    def enabled(self, state: State) -> Sequence[str]:
        return enabled(state)

    def step(self, state: State, tid: str) -> State:
        return step(state, tid)

    def key(self, state: State) -> Hashable:
        return state

    def violation(self, state: State) -> ViolationLike | None:
        return state.violation

    def scan_results(self, state: State) -> Sequence[str]:
        """The SCAN_* codes the step that produced ``state`` gave: a revalidation's return,
        mm_find_pmd's NULL, a thread's final result."""
        return tuple(e.code for e in state.last if e.kind in ("scan-result", "result") and e.code)

    def result(self, state: State, tid: str) -> tuple[bool, Any]:
        """Whether thread ``tid`` is done, and its final result."""
        t = state.thread(tid)
        return t.status == "done", t.result

    def return_codes(self, state: State) -> Sequence[tuple[str, Any]]:
        return state.return_codes

    @cached_property
    def x(self) -> int | None:
        """X in a fact: khugepaged's address in the initial state."""
        return khugepaged_address(self.start)

    def holds(self, state: State, fact: Fact) -> bool:
        return fact.holds(state, self.x)
