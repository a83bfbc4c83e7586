"""Errors of the engine: malformed input or a bug, never a modelled outcome.

Violations, deadlocks and search bounds are results (they carry their evidence); an
exception here means the caller asked for something that does not exist or is malformed.

    ModelError
    ├── ScenarioError   a scenario file or catalog id is wrong (names the file, line, field)
    ├── VariantError    an unknown variant id
    ├── GoalError       a goal no schedule of the scenario could reach by construction
    └── ScheduleError   a schedule is malformed or picks a thread that cannot run
"""

from __future__ import annotations

from typing import Any


class ModelError(Exception):
    """Base of every error the engine raises on purpose."""


class ScenarioError(ModelError):
    """A scenario file or id is wrong; the message names the file and the field."""


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
