"""Walkthrough files: TOML validated with pydantic, then compiled against the scenarios.

A walkthrough is chapters of stops.  A chapter runs one scenario under one variant from
step 0; each stop runs directives from the state the stop before it left (never step
numbers), says what happened in a caption, brings one panel forward and names the fact of
docs/model.md it rests on.  A stop may ask a predict question, answered by taking its own
steps.  docs/authoring.md#walkthroughs describes every field.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine.errors import ModelError
from engine.files import read_named

MAX_FILE_BYTES = 64 * 1024
MAX_CHAPTERS = 8
MAX_STOPS = 24
Text = Annotated[str, Field(max_length=200)]
Prose = Annotated[str, Field(max_length=1200)]
Directives = Annotated[str, Field(max_length=400)]
PANELS = ("threads", "locks", "space", "slab", "tables", "timeline", "report")
Panel = Literal[PANELS]   # type: ignore[valid-type]


class WalkthroughError(ModelError):
    """A walkthrough file or id is wrong; the message names the file, the chapter, the stop and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AskSpec(_Strict):
    thread: Annotated[str, Field(pattern=r"^[A-Z]$", description="the thread whose step the question is about")]
    query: Text
    choices: list[Text] = Field([], max_length=12, description="the generated choices to show, in order")


class StopSpec(_Strict):
    title: Text
    run: Directives = Field("", description="directives from the previous stop's state; empty: narrate only")
    restart: bool = Field(False, description="start again from step 0 instead of the previous stop's state")
    scenario: Text | None = Field(None, description="switch scenario here, keeping the schedule (for the "
                                                    "rest of the chapter)")
    variant: Text | None = Field(None, description="switch variant here, keeping the schedule")
    narration: Prose
    panel: Panel = "threads"
    fact: Annotated[str, Field(pattern=r"^[a-z0-9-]+$", max_length=60,
                               description="the anchor in docs/model.md of the fact the stop rests on")]
    notes: Prose = Field("", description="speaker notes, shown only in the notes window")
    predict: AskSpec | None = None

    @model_validator(mode="after")
    def _asks_about_a_step(self) -> StopSpec:
        if self.predict is not None and not self.run.strip():
            raise ValueError("a predict stop's run is the step that answers it, so it cannot be empty")
        return self


class ChapterSpec(_Strict):
    title: Text
    scenario: Text
    variant: Text
    intro: Prose = ""
    coming: Prose = Field("", description="what this chapter needs that the app lacks; it then has no stops")
    stops: list[StopSpec] = Field([], max_length=MAX_STOPS)

    @model_validator(mode="after")
    def _stops_or_coming(self) -> ChapterSpec:
        if bool(self.stops) == bool(self.coming):
            raise ValueError("a chapter has stops, or says in coming what it waits for; not both, not neither")
        return self


class WalkthroughSpec(_Strict):
    id: Annotated[str, Field(pattern=r"^w[0-9]+$")]
    version: Annotated[int, Field(ge=1)] = 1
    title: Text
    summary: Prose
    minutes: Annotated[int, Field(ge=1, le=240)]
    chapters: list[ChapterSpec] = Field(min_length=1, max_length=MAX_CHAPTERS)


def read_spec(path: Path) -> tuple[WalkthroughSpec, str]:
    """The validated spec of ``path`` and its text; a WalkthroughError naming file, field and line."""
    return read_named(path, WalkthroughSpec, MAX_FILE_BYTES, "a walkthrough", WalkthroughError)


def stop_line(text: str, chapter: int, stop: int | None, field: str) -> int | None:
    """The line of ``field`` in stop ``stop`` of chapter ``chapter`` (both from 0; stop None:
    the chapter's own table), for an error message."""
    rows = text.splitlines()
    chapters = [n for n, r in enumerate(rows) if r.strip() == "[[chapters]]"]
    if chapter >= len(chapters):
        return None
    end = chapters[chapter + 1] if chapter + 1 < len(chapters) else len(rows)
    heads = [n for n in range(chapters[chapter], end) if rows[n].strip() == "[[chapters.stops]]"]
    if stop is None:
        start, end = chapters[chapter], (heads[0] if heads else end)
    elif stop < len(heads):
        start, end = heads[stop], (heads[stop + 1] if stop + 1 < len(heads) else end)
    else:
        return None
    pattern = re.compile(rf"^\s*{re.escape(field)}\s*=")
    return next((n + 1 for n in range(start, end) if pattern.match(rows[n])), start + 1)
