"""The exercise commands of ``mmlock``: checking exercise files sound, and grading a class.

    mmlock check [FILE...]                      scenario and exercise files; none: the built-ins
    mmlock grade FILE.csv [--json | --format gradescope]   rows: student, exercise, answer[, seed]

An exercise is sound when its reference answer passes its own grader and every wrong answer
it lists fails.  The verdicts a prove or fix part needs are computed here once and kept on
disk by content hash (app.store), so the server and the next check start with them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import engine
from app.grading import Row, grade_row, parse_rows
from app.store import Store, default_dir
from engine.checks import CheckSets
from engine.errors import ModelError
from engine.exercises import Computed, Exercise, Part, Pending, Refused, as_written, grade, load, verdict_key
from engine.exercises import catalog as exercise_catalog
from engine.explore import DEFAULT_MAX_STATES, Exploration
from engine.walkthroughs import load as load_walkthrough
from engine.walkthroughs.walkthrough import DATA as WALKTHROUGHS

EXIT_USAGE = 2


class StoredVerdicts(Computed):
    """engine.exercises.Verdicts kept on disk as well, so the next check and the server start with them."""

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store

    def find_proof(self, part: Part) -> Exploration:
        key = verdict_key(part)
        found = self.store.get_proof(key)
        if found is None:
            found = super().find_proof(part)
            self.store.put_proof(key, found)
        return found

    def find_sets(self, scenario: engine.Scenario) -> CheckSets:
        sets = self.store.get(scenario, DEFAULT_MAX_STATES)
        if sets is None:
            sets = super().find_sets(scenario)
            self.store.put(scenario, DEFAULT_MAX_STATES, sets)
        return sets


def is_exercise_file(path: Path) -> bool:
    """Whether ``path`` holds an exercise (its parts) rather than a scenario."""
    try:
        return any(line.strip() == "[[parts]]" for line in path.read_text("utf-8", errors="replace").splitlines())
    except OSError:
        return False


def is_walkthrough_file(path: Path) -> bool:
    """Whether ``path`` holds a walkthrough (its chapters)."""
    try:
        return any(line.strip() == "[[chapters]]" for line in path.read_text("utf-8", errors="replace").splitlines())
    except OSError:
        return False


def check_walkthroughs(paths: list[Path], scenarios: dict[str, engine.Scenario]) -> int:
    """Load each walkthrough file (all the built-ins when ``paths`` is empty): every stop's
    directives compile and every poll's answer is among its choices.  The number that failed."""
    failed = 0
    for path in paths or sorted(WALKTHROUGHS.glob("*.toml")):
        try:
            w = load_walkthrough(path, scenarios)
        except ModelError as e:
            print(str(e), file=sys.stderr)
            failed += 1
            continue
        polls = sum(s.predict is not None for s in w.stops)
        coming = sum(bool(c.spec.coming) for c in w.chapters)
        print(f"{path}: ok ({w.id}: {len(w.chapters)} chapters, {len(w.stops)} stops, {polls} polls"
              + (f", {coming} coming" if coming else "") + ")")
    return failed


def soundness(x: Exercise, verdicts: StoredVerdicts) -> list[str]:
    """What is wrong with ``x``: each a sentence naming the part; empty when it is sound."""
    problems = []
    for part in x.parts:
        try:
            ok = grade(part, as_written(part, part.spec.answer), verdicts)
            if not ok.passed:
                problems.append(f"part {part.name}: the reference answer fails its own grader: {ok.reason}")
            for wrong in part.spec.wrong:
                g = grade(part, as_written(part, wrong), verdicts)
                if g.passed:
                    problems.append(f"part {part.name}: the wrong answer {wrong!r} passes: {g.reason}")
        except (Refused, Pending) as e:
            problems.append(f"part {part.name}: {e}")
    return problems


def check_exercises(paths: list[Path], scenarios: dict[str, engine.Scenario]) -> int:
    """Load and prove sound each exercise file (all the built-ins when ``paths`` is empty);
    the number that failed."""
    verdicts = StoredVerdicts(Store(default_dir()))
    failed = 0
    loaded: list[tuple[Path, Exercise]] = []
    try:
        loaded = [(x.path, x) for x in exercise_catalog(scenarios).values()] if not paths else []
    except ModelError as e:
        print(str(e), file=sys.stderr)
        return 1
    for path in paths:
        try:
            loaded.append((path, load(path, scenarios)))
        except ModelError as e:
            print(str(e), file=sys.stderr)
            failed += 1
    for path, x in loaded:
        problems = soundness(x, verdicts)
        for p in problems:
            print(f"{path}: {p}", file=sys.stderr)
        kinds = ", ".join(f"{p.name} {p.kind}" for p in x.parts)
        print(f"{path}: {'UNSOUND' if problems else 'ok'} ({x.id}: {kinds})")
        failed += bool(problems)
    return failed


def _rows(path: Path) -> list[Row]:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: cannot read the file ({getattr(e, 'strerror', None) or 'not UTF-8 text'})") from None
    return parse_rows(text, str(path))


def cmd_grade(args: argparse.Namespace) -> int:
    scenarios = engine.catalog()
    exercises = exercise_catalog(scenarios)
    verdicts = StoredVerdicts(Store(default_dir()))
    results: list[dict[str, Any]] = []
    for row in _rows(args.file):
        g = grade_row(exercises, scenarios, verdicts, row)
        results.append({"student": g.student, "exercise": g.exercise, "pass": g.passed, "reason": g.reason,
                        "link": g.link})
    passed = sum(r["pass"] for r in results)
    if args.format == "gradescope":
        tests = [{"name": f"{r['exercise']} ({r['student']})", "score": int(r["pass"]), "max_score": 1,
                  "output": r["reason"] + (f"\n{r['link']}" if r["link"] else "")} for r in results]
        print(json.dumps({"score": passed, "tests": tests}, indent=2))
    elif args.json:
        print(json.dumps({"passed": passed, "failed": len(results) - passed, "rows": results}, indent=2))
    else:
        for r in results:
            print(f"{r['student']}\t{r['exercise']}\t{'PASS' if r['pass'] else 'FAIL'}\t{r['reason']}")
        print(f"{len(results)} answers: {passed} passed, {len(results) - passed} failed")
    return 0


def add_grade(sub: Any) -> None:
    p = sub.add_parser("grade", help="grade a CSV of answers (student, exercise, answer)")
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true")
    p.add_argument("--format", choices=("text", "gradescope"), default="text",
                   help="gradescope: the results.json an autograder reads")
    p.set_defaults(run=cmd_grade)
