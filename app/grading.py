"""Answers as the web and the command line receive them, turned into engine Submissions,
and a class's answers graded row by row (``mmlock grade`` and the /x/grade page).

One function reads every form an answer comes in: the API's JSON fields, a CSV cell of
``mmlock grade`` (a schedule, a choice, a check list, "unreachable", or a link copied from
the app), and the no-JavaScript form.  A link's run is taken from step 0 and must be of the
exercise's scenario and variant; everything else is relative to the part's starting state.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from app.links import grade_href
from engine import ModelError, Scenario, parse_schedule
from engine.exercises import CLAIMS, Exercise, Part, Pending, Refused, Submission, Verdicts, grade, seeded
from engine.programs.khugepaged import ALL_CHECKS

MAX_ROWS = 2000



class BadAnswer(ValueError):
    """An answer that cannot be read; the message is a sentence saying why."""


def from_link(part: Part, link: str) -> Submission:
    """The run a player or exercise link carries (``/s/{scenario}?v=…&run=…`` or
    ``/x/{id}?part=…&run=…``), checked against ``part``."""
    url = urlsplit(link.strip())
    query = {k: v[-1] for k, v in parse_qs(url.query).items()}
    path = url.path.rstrip("/")
    seed, mine = link_seed(link), part.scenario.seed if part.scenario else 0
    if seed != mine:
        raise BadAnswer(f"the link is of instance {seed} of the exercise; this answer is for instance {mine}")
    if path.startswith("/x/"):
        if path.removeprefix("/x/") != part.exercise or query.get("part", part.id) != part.id:
            raise BadAnswer(f"the link is for {path.removeprefix('/x/')}{query.get('part', '')}, not {part.name}")
    elif path.startswith("/s/"):
        assert part.scenario is not None
        sid, vid = path.removeprefix("/s/"), query.get("v", "")
        if sid != part.scenario.id or (vid and vid != part.variant):
            raise BadAnswer(f"the link opens {sid} under {vid or 'its first variant'}; {part.name} runs "
                            f"{part.scenario.id} under {part.variant}")
    else:
        raise BadAnswer("a link to grade opens the player (/s/…) or an exercise (/x/…)")
    try:
        return Submission(run=parse_schedule(query.get("run", "")))
    except ModelError as e:
        raise BadAnswer(f"the link's run is not a schedule: {e}") from None


def from_text(part: Part, text: str) -> Submission:
    """An answer typed or pasted as text, read as the part's kind expects it."""
    text = text.strip()
    if not text:
        raise BadAnswer("the answer is empty")
    if is_link(text):
        if part.kind not in ("goal", "prove"):
            raise BadAnswer(f"{part.name} is answered with a {'choice' if part.kind == 'predict' else 'list of checks'}, not a link")
        return from_link(part, text)
    if part.kind == "predict":
        return Submission(choice=text)
    if part.kind == "fix":
        names = [] if text in ("none", "{}") else re.split(r"[\s,+{}]+", text.strip("{} "))
        unknown = [n for n in names if n not in ALL_CHECKS]
        if unknown:
            raise BadAnswer(f"{', '.join(unknown)}: a fix is a list of checks from {', '.join(ALL_CHECKS)}, or none")
        return Submission(checks=tuple(names))
    if part.kind == "prove" and text in CLAIMS:
        return Submission(claim=text)
    return Submission(schedule=text)


def split_exercise_id(exercise: dict[str, Exercise], name: str) -> tuple[Exercise, Part]:
    """The exercise and part ``name`` names: "x07b", "x07" (its first part), or "x07:b"."""
    m = re.fullmatch(r"(x[0-9]{2})(?::?([a-z]))?", name.strip().lower())
    if m is None or m[1] not in exercise:
        known = ", ".join(sorted(exercise)) or "none"
        raise BadAnswer(f"no exercise {name!r}; the exercises are {known}")
    x = exercise[m[1]]
    try:
        return x, x.part(m[2])
    except KeyError as e:
        raise BadAnswer(str(e.args[0])) from None


def link_seed(link: str) -> int:
    """The instance a link names (its ``seed``; 0 without one)."""
    seed = parse_qs(urlsplit(link.strip()).query).get("seed", ["0"])[-1]
    if not re.fullmatch(r"[0-9]{1,4}", seed):
        raise BadAnswer(f"the link's seed {seed!r} is not a number from 0 to 9999")
    return int(seed)


def is_link(text: str) -> bool:
    return text.strip().startswith(("/s/", "/x/", "http://", "https://"))


@dataclass(frozen=True)
class Row:
    """One handed-in answer: who, which exercise (x07, x07b), the answer, and optionally the
    seed of the student's instance."""

    student: str
    exercise: str
    answer: str
    seed: str = ""


@dataclass(frozen=True)
class RowGrade:
    student: str
    exercise: str               # the part graded, x07b (or the exercise as written, when unknown)
    passed: bool
    reason: str
    link: str                   # the graded run in its exercise, "" when there is none


def parse_rows(text: str, where: str) -> list[Row]:
    """The rows of a CSV (student, exercise, answer[, seed]; a header row is optional);
    a ValueError naming ``where`` and the row for a malformed one."""
    rows = [r for r in csv.reader(text.splitlines()) if any(c.strip() for c in r)]
    if rows and [c.strip().lower() for c in rows[0][:3]] == ["student", "exercise", "answer"]:
        rows = rows[1:]
    if len(rows) > MAX_ROWS:
        raise ValueError(f"{where}: {len(rows)} rows; at most {MAX_ROWS} are graded at once")
    bad = next((n for n, r in enumerate(rows, start=1) if len(r) not in (3, 4)), None)
    if bad is not None:
        raise ValueError(f"{where}: row {bad} has {len(rows[bad - 1])} columns; each row is student, exercise, "
                         "answer and, optionally, the student's seed")
    return [Row(*(c.strip() for c in r)) for r in rows]


def grade_row(exercises: dict[str, Exercise], scenarios: dict[str, Scenario], verdicts: Verdicts,
              row: Row) -> RowGrade:
    """One answer graded in the student's instance: the row's seed if given, else the one a
    link names; an answer that cannot be read fails with why."""
    try:
        if row.seed and not re.fullmatch(r"[0-9]{1,4}", row.seed):
            raise BadAnswer(f"the seed {row.seed!r} is not a number from 0 to 9999")
        instance = int(row.seed) if row.seed else link_seed(row.answer) if is_link(row.answer) else 0
        x, part = split_exercise_id(exercises, row.exercise)
        x = seeded(x, instance, scenarios)
        part = x.part(part.id)
        g = grade(part, from_text(part, row.answer), verdicts)
    except (BadAnswer, Refused, Pending) as e:
        return RowGrade(row.student, row.exercise, False, f"The answer cannot be graded: {e}.", "")
    return RowGrade(row.student, part.name, g.passed, g.reason, grade_href(x, part, g.run))

