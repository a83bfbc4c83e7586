"""Exercises as pages: the quests (or a teacher's problem set), and one exercise part's
banner, Check form and hints above the player.  The teacher's page is app.views.solution."""

from __future__ import annotations

from dataclasses import dataclass

import engine
from app import links
from engine import Run
from engine.exercises import Exercise, Part, describe_start
from engine.programs.khugepaged.code import CHECKS

QUESTS = {"A": "mmap_sem and its windows", "B": "v1's pointer check", "C": "the full revalidation",
          "D": "history", "E": "why write"}
KINDS = {"goal": "schedule", "predict": "predict", "prove": "prove", "fix": "fix"}
KIND_HELP = {"goal": "find a schedule that reaches the goal",
             "predict": "say what the next step does, before it is taken",
             "prove": "claim that no schedule reaches it, or send one that does",
             "fix": "pick the fewest checks that make every scenario safe"}


@dataclass(frozen=True)
class Cover:
    """A seed claim or failure case an exercise covers, linked into the model guide."""

    label: str
    href: str


@dataclass(frozen=True)
class ExerciseCard:
    id: str
    title: str
    quest: str
    quest_name: str
    difficulty: int
    minutes: int
    kinds: list[str]
    covers: list[Cover]
    href: str
    parts: str          # the progress keys of its parts, space-separated ("x07a x07b")


@dataclass(frozen=True)
class Quest:
    letter: str
    name: str
    cards: list[ExerciseCard]


@dataclass(frozen=True)
class ExerciseList:
    title: str
    lede: str
    quests: list[Quest]
    problem_set: list[ExerciseCard]     # a teacher's set, in its order; [] for the whole list
    all_href: str


def covers(x: Exercise) -> list[Cover]:
    return [Cover(c.replace("claim-", "claim "), links.case_href(c)) for c in x.spec.covers]


def part_names(x: Exercise) -> str:
    return " ".join(p.name for p in x.parts)


def card(x: Exercise, seed: int = 0) -> ExerciseCard:
    s = x.spec
    kinds = list(dict.fromkeys(KINDS[p.kind] for p in x.parts))
    return ExerciseCard(x.id, s.title, s.quest, QUESTS[s.quest], s.difficulty, s.minutes, kinds, covers(x),
                        links.exercise_href(x, seed=seed), part_names(x))


def exercise_list(exercises: dict[str, Exercise], chosen: list[str], seed: int = 0) -> ExerciseList:
    """The quests A to E in order, or only ``chosen`` in their order (a problem set); its
    links open instance ``seed`` of each exercise."""
    which = f" This is instance {seed}: the same stories, at addresses and in slab objects of its own." if seed else ""
    if chosen:
        n = len(chosen)
        return ExerciseList("Problem set", f"{n} exercise{'' if n == 1 else 's'} picked for you: "
                                           f"{', '.join(chosen)}. Work through them in this order.{which}",
                            [], [card(exercises[i], seed) for i in chosen], links.exercises_href(seed=seed))
    ordered = sorted(exercises.values(), key=lambda x: x.id)
    quests = [Quest(q, name, [card(x, seed) for x in ordered if x.spec.quest == q]) for q, name in QUESTS.items()]
    return ExerciseList("Exercises", "Five quests, from the rwsem's queue to why collapse needs mmap_sem for "
                                     "write. Each exercise is graded by replaying what you send with the "
                                     f"engine, or by the explorer's complete search.{which}", quests, [],
                        links.exercises_href(seed=seed))


@dataclass(frozen=True)
class Option:
    """A radio or checkbox of the Check form."""

    value: str
    text: str
    code: str = ""


@dataclass(frozen=True)
class PartTab:
    label: str
    href: str
    current: bool
    name: str
    kind: str


@dataclass(frozen=True)
class ExercisePage:
    id: str
    title: str
    quest: str
    quest_name: str
    difficulty: int
    minutes: int
    covers: list[Cover]
    part_id: str
    name: str               # the part's progress key: x06, x07b
    kind: str
    kind_text: str
    kind_help: str
    task: str
    goal: str
    start: str
    tabs: list[PartTab]
    choices: list[Option]
    checks: list[Option]
    fix_scenarios: list[tuple[str, str]]
    hints: list[str]
    run: str                # the run shown, canonical, from step 0
    prefix: str             # the part's starting run, expanded (the exercise URL keeps it)
    scenario: str
    variant: str
    digest: str
    href: str
    check_href: str
    check_api_href: str
    solution_href: str
    explorer_href: str
    list_href: str
    next: tuple[str, str]   # where to go once solved: (text, href)
    instance: int           # the seeded instance (engine.seeds); 0 as written


def _tabs(x: Exercise, current: Part) -> list[PartTab]:
    if len(x.parts) == 1:
        return []
    return [PartTab(f"Part {p.id}: {KINDS[p.kind]}", links.exercise_href(x, p.id), p.id == current.id, p.name,
                    p.kind) for p in x.parts]


def _explorer(x: Exercise, part: Part) -> str:
    if not x.spec.explorer or part.scenario is None:
        return ""
    goal = part.spec.prove if part.kind == "prove" and part.spec.prove else "any"
    return links.explore_page_href(part.scenario, part.variant, goal, part.prefix)


def _choices(part: Part) -> list[Option]:
    return [Option(c.id, c.text) for c in part.predict.choices] if part.predict else []


def _checks(part: Part) -> list[Option]:
    offered = part.spec.fix.checks if part.spec.fix else []
    return [Option(c, CHECKS[c].name, CHECKS[c].code) for c in offered]


def exercise_page(exercises: dict[str, Exercise], x: Exercise, part: Part, run: Run | None) -> ExercisePage:
    """The banner of ``part`` with the player at ``run`` (None for a fix part, which has no player)."""
    s = x.spec
    shown = run.schedule if run is not None else ()
    return ExercisePage(
        x.id, s.title, s.quest, QUESTS[s.quest], s.difficulty, s.minutes, covers(x), part.id, part.name, part.kind,
        KINDS[part.kind], KIND_HELP[part.kind], part.spec.task, part.goal_text,
        describe_start(part) if part.kind in ("goal", "prove") else "", _tabs(x, part), _choices(part),
        _checks(part), [(f.id, links.checks_href(f)) for f in part.fix], list(s.hints),
        engine.format_schedule(shown), "".join(part.prefix),
        part.scenario.id if part.scenario else "", part.variant, x.digest, links.exercise_href(x, part.id),
        links.exercise_check_href(x), links.exercise_check_api_href(x), links.solution_href(x),
        _explorer(x, part), links.exercises_href(seed=x.seed), next_href(exercises, x, part), x.seed)


def home_run(part: Part) -> Run | None:
    """The state a part opens at: a predict question's state, or the part's start."""
    return part.predict.before if part.predict is not None else part.start


def next_href(exercises: dict[str, Exercise], x: Exercise, part: Part) -> tuple[str, str]:
    """The next part of ``x``, or the next exercise in order, or the list: (text, href)."""
    ids = [p.id for p in x.parts]
    at = ids.index(part.id)
    if at + 1 < len(ids):
        return f"Next: part {ids[at + 1]}", links.exercise_href(x, ids[at + 1])
    later = sorted(i for i in exercises if i > x.id)
    if later:
        nxt = exercises[later[0]]
        return f"Next exercise: {nxt.id}, {nxt.spec.title}", links.exercise_href(nxt, seed=x.seed)
    return "All exercises", links.exercises_href(seed=x.seed)
