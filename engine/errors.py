"""Errors of the engine: malformed input or a bug, never a modelled outcome.

Violations, deadlocks and search bounds are results (they carry their evidence); an
exception here means the caller asked for something that does not exist or is malformed.

    ModelError          its ``mistakes`` (each a Mistake: line, field, what) when about a file
    ├── ScenarioError   a scenario file or catalog id is wrong (names the file, line, field)
    ├── VariantError    an unknown variant id
    ├── GoalError       a goal no schedule of the scenario could reach by construction
    └── ScheduleError   a schedule is malformed or picks a thread that cannot run
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Mistake:
    """One thing wrong in a file: its line (0 when it cannot be found), the field's place
    (``("threads", 0, "program")``; empty for a rule of the whole file) and what is wrong."""

    line: int
    loc: tuple[str | int, ...]
    message: str

    @property
    def field(self) -> str:
        """The field as a reader writes it: ``threads[0].program``."""
        return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in self.loc).lstrip(".")

    @property
    def where(self) -> str:
        """``line 12, threads[0].program``, as much of it as is known ("" for the whole file)."""
        return ", ".join(part for part in (f"line {self.line}" if self.line else "", self.field) if part)


class ModelError(Exception):
    """Base of every error the engine raises on purpose; ``mistakes`` say where, one by one,
    when the error is about a file."""

    def __init__(self, message: str = "", *, mistakes: tuple[Mistake, ...] = ()) -> None:
        super().__init__(message)
        self.mistakes = mistakes


class ScenarioError(ModelError):
    """A scenario file or id is wrong; the message names the file and the field."""


# what a program's code raises when a file gave its thread arguments of the wrong kind, or none
MISFITS = (KeyError, TypeError, ValueError, AttributeError, IndexError)


def misfit(where: str, e: Exception) -> ScenarioError:
    """The error for a thread whose arguments do not fit its program (the loader does not
    check ``args``): ``where`` it happened and what was missing or wrong."""
    what = f"no argument {e.args[0]!r}" if isinstance(e, KeyError) and e.args else f"{type(e).__name__}: {e}"
    return ScenarioError(f"{where}: the thread's arguments do not fit its program ({what}); "
                         f"see docs/authoring.md#threads for each program's args")


class VariantError(ModelError):
    """A variant id that does not exist."""


class GoalError(ModelError):
    """A goal that names a thread the scenario lacks or a result no program of it produces."""


class ScheduleError(ModelError):
    """A schedule that is malformed or cannot be replayed.

    ``step`` is the 1-based step that failed (0 for a syntax error), ``enabled`` the
    threads that could have run there, ``prefix`` the longest valid prefix in canonical
    form and ``valid`` that prefix replayed (an :class:`engine.schedule.Run`; None for a
    syntax error), so nobody replays a schedule again to show what was valid in it.
    """

    def __init__(self, message: str, *, step: int = 0, enabled: tuple[str, ...] = (),
                 prefix: str = "", valid: Any = None) -> None:
        super().__init__(message)
        self.step = step
        self.enabled = enabled
        self.prefix = prefix
        self.valid = valid
