"""Exercise files: TOML validated with pydantic, then compiled against the scenarios.

An exercise is a few parts on one scenario (a part may name another scenario or variant);
each part is one task: a schedule goal, a predict question, a prove claim or a fix.  When a
file loads, every directive is compiled, every predict question is answered by stepping
and every goal is checked against what the scenario's programs can produce, so a program
edit that breaks an exercise is a load error naming the file, part and field, not a broken
lesson in class.  docs/exercises.md describes every field.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from engine.errors import ModelError
from engine.programs.khugepaged import ALL_CHECKS
from engine.files import read_named

MAX_FILE_BYTES = 32 * 1024
Text = Annotated[str, Field(max_length=200)]
Prose = Annotated[str, Field(max_length=2000)]
Directives = Annotated[str, Field(max_length=400)]
CheckName = Literal[ALL_CHECKS]   # type: ignore[valid-type]


class ExerciseError(ModelError):
    """An exercise file or id is wrong; the message names the file, the part and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class PredictSpec(_Strict):
    at: Directives = Field("", description="the state the question is asked in: directives from step 0")
    thread: Annotated[str, Field(pattern=r"^[A-Z]$")]
    step: Directives = Field("", description="what to run to find the answer; one step of thread by default")
    query: Text
    choices: list[Text] = Field([], max_length=12, description="the generated choices to show, in order")


class FixSpec(_Strict):
    scenarios: list[Text] = Field(min_length=1, max_length=12)
    checks: list[CheckName] = Field(list(ALL_CHECKS), min_length=1)


Answer = Annotated[str, Field(max_length=400)] | list[CheckName]


class PartSpec(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z]$")] | None = None
    task: Prose
    scenario: Text | None = None
    variant: Text | None = None
    from_: Directives = Field("", alias="from", description="the state the part starts in (prefix it fixes)")
    goal: Text | None = None
    predict: PredictSpec | None = None
    prove: Text | None = None
    max_preemptions: Annotated[int, Field(ge=0, le=16)] | None = None
    fix: FixSpec | None = None
    answer: Answer
    wrong: list[Answer] = Field(min_length=1, max_length=8)
    explain: Prose = ""

    @model_validator(mode="after")
    def _one_task(self) -> PartSpec:
        tasks = [n for n in ("goal", "predict", "prove", "fix") if getattr(self, n) is not None]
        if len(tasks) != 1:
            raise ValueError(f"a part has exactly one of goal, predict, prove and fix (this one has "
                             f"{', '.join(tasks) or 'none'})")
        if self.max_preemptions is not None and self.prove is None:
            raise ValueError("max_preemptions bounds a prove part; a goal writes preemptions <= N")
        if (self.fix is not None) != isinstance(self.answer, list):
            raise ValueError("a fix part's answer is a list of checks; every other answer is text")
        if self.fix is not None and (self.from_ or self.scenario or self.variant):
            raise ValueError("a fix part names its scenarios in fix.scenarios, with no from, scenario or variant")
        return self

    @property
    def kind(self) -> str:
        return next(n for n in ("goal", "predict", "prove", "fix") if getattr(self, n) is not None)


class ExerciseSpec(_Strict):
    id: Annotated[str, Field(pattern=r"^x[0-9]{2}[a-z]?$")]
    version: Annotated[int, Field(ge=1)] = 1
    title: Text
    quest: Literal["A", "B", "C", "D", "E"]
    difficulty: Annotated[int, Field(ge=1, le=5)]
    minutes: Annotated[int, Field(ge=1, le=120)]
    scenario: Text
    variant: Text
    explorer: bool = Field(True, description="whether the exercise page offers the explorer")
    learning: Prose
    covers: list[Text] = Field(min_length=1)
    hints: list[Prose] = Field(min_length=1, max_length=5)
    assumptions: list[Prose] = []
    parts: list[PartSpec] = Field(min_length=1, max_length=6)

    @field_validator("parts")
    @classmethod
    def _part_ids(cls, parts: list[PartSpec]) -> list[PartSpec]:
        ids = [p.id for p in parts]
        if len(parts) > 1 and ids != [chr(ord("a") + i) for i in range(len(parts))]:
            raise ValueError(f"parts of a several-part exercise are a, b, c … in order, not {ids}")
        return parts


def read_spec(path: Path) -> tuple[ExerciseSpec, str]:
    """The validated spec of ``path`` and its text; an ExerciseError naming file, field and line."""
    return read_named(path, ExerciseSpec, MAX_FILE_BYTES, "an exercise", ExerciseError)


def part_line(text: str, index: int, field: str) -> int | None:
    """The line of ``field`` in the ``index``-th [[parts]] table, for an error message."""
    rows = text.splitlines()
    heads = [n for n, r in enumerate(rows) if r.strip() == "[[parts]]"]
    if index >= len(heads):
        return None
    end = heads[index + 1] if index + 1 < len(heads) else len(rows)
    pattern = re.compile(rf"^\s*{re.escape(field)}\s*=|^\s*\[parts\.{re.escape(field)}\]")
    return next((n + 1 for n in range(heads[index], end) if pattern.match(rows[n])), heads[index] + 1)
