"""The JSON API (OpenAPI at /docs): scenarios and replays, for graders and scripts.

The scenario, variant and digest are checked by app.targets, as for the pages; a problem
is an RFC 9457 problem (app.problems).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

import engine
from app import targets, views
from app.problems import API_PROBLEMS, Problem
from app.replays import MAX_RUN_CHARS, RUN_SCHEMA, RunError, aligned, load_run
from app.targets import Target, known_scenario
from engine.errors import VariantError

router = APIRouter(prefix="/api", tags=["api"], responses=API_PROBLEMS)


def _summary(s: engine.Scenario) -> dict:
    return {"id": s.id, "version": s.spec.version, "digest": s.digest, "title": s.spec.title,
            "question": s.spec.question, "kernel": s.spec.kernel, "case": s.spec.case,
            "threads": [{"id": t.id, "name": t.name, "program": t.program,
                         "calls": [call.program for call in t.sequence]} for t in s.spec.threads],
            "expect": s.spec.expect, "variants": list(s.variant_ids),
            "link_digests": {vid: s.link_digest(vid) for vid in s.variant_ids}}


@router.get("/scenarios", summary="Every scenario with its expected verdict per variant")
def list_scenarios(request: Request) -> list[dict]:
    return [_summary(s) for _, s in sorted(request.app.state.scenarios.items())]


@router.get("/scenarios/{scenario_id}", summary="One scenario: its full specification and digest")
def get_scenario(s: engine.Scenario = Depends(known_scenario)) -> dict:
    return {**_summary(s), "spec": s.spec.model_dump(mode="json")}


@router.get("/variants/{a}/diff/{b}", summary="What variant b changes in variant a's code, hunk by hunk")
def variant_diff(a: str, b: str) -> list[dict]:
    try:
        a, b = (engine.variant(vid).id for vid in (a, b))
    except VariantError as e:
        raise Problem(404, "Unknown variant", str(e)) from None
    return [{"function": c.function, "kind": c.kind, "old": list(c.old), "new": list(c.new)}
            for c in engine.variants.diff(a, b)]


def bad_run(e: RunError, what: str = "schedule", ways_on: tuple[tuple[str, str], ...] = (),
            quoted: str | None = None) -> Problem:
    """A malformed schedule (not in RUN_PATTERN, as the description says) is a 400; a
    well-formed one that stops replaying at a step, an over-long one included, is a 422
    naming the step, the threads that could run there and the valid prefix.  ``quoted``
    starts the sentence (the parameter as sent) in place of "bad schedule: "."""
    if e.step == 0:
        return Problem(400, f"Bad {what}", f"{f'bad {what}: ' if quoted is None else quoted}{e}", ways_on)
    return Problem(422, f"The {what} does not replay", f"{quoted or ''}{e}", ways_on,
                   fields={"step": e.step, "enabled": list(e.enabled),
                           "prefix": engine.format_schedule(e.shown.schedule)})


@router.get("/scenarios/{scenario_id}/replay", summary="Replay a schedule (the JSON of `mmlock show --json`)")
def replay(request: Request,
           run: str = Query("", max_length=MAX_RUN_CHARS, description="schedule, e.g. C2K3AK18A9K2",
                            json_schema_extra=RUN_SCHEMA),
           target: Target = Depends(targets.API_REPLAY)) -> dict:
    try:
        result = load_run(request.app.state.replays, target.scenario, target.variant, run)
    except RunError as e:
        raise bad_run(e) from None
    return views.replay_json(target.scenario, target.variant, result)


@router.get("/scenarios/{scenario_id}/compare",
            summary="One interleaving on two variants: both runs and how their segments line up")
def compare(request: Request,
            run: str = Query("", max_length=MAX_RUN_CHARS, description="schedule or directives, on a (else on b)",
                             json_schema_extra=RUN_SCHEMA),
            pair: targets.Pair = Depends(targets.pair)) -> dict:
    al = aligned(request.app.state.replays, pair.scenario, pair.a, pair.b, run)
    if al.error is not None:
        raise bad_run(al.error)
    return views.compare_json(pair.scenario, pair.a, pair.b, al)
