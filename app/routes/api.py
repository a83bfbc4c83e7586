"""The JSON API (OpenAPI at /docs): scenarios and replays, for graders and scripts."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query, Request

import engine
from app import views
from app.replays import MAX_RUN_CHARS, RunError, load_run

router = APIRouter(prefix="/api", tags=["api"])


def _scenario(request: Request, scenario_id: str) -> engine.Scenario:
    scenarios = request.app.state.scenarios
    if scenario_id not in scenarios:
        raise HTTPException(404, f"unknown scenario {scenario_id!r}; scenarios: {', '.join(sorted(scenarios))}")
    return scenarios[scenario_id]


def _summary(s: engine.Scenario) -> dict:
    return {"id": s.id, "version": s.spec.version, "digest": s.digest, "title": s.spec.title,
            "question": s.spec.question, "kernel": s.spec.kernel, "case": s.spec.case,
            "threads": [{"id": t.id, "name": t.name, "program": t.program} for t in s.spec.threads],
            "expect": s.spec.expect}


@router.get("/scenarios", summary="Every scenario with its expected verdict per variant")
def list_scenarios(request: Request) -> list[dict]:
    return [_summary(s) for _, s in sorted(request.app.state.scenarios.items())]


@router.get("/scenarios/{scenario_id}", summary="One scenario: its full specification and digest")
def get_scenario(request: Request, scenario_id: str) -> dict:
    s = _scenario(request, scenario_id)
    return {**_summary(s), "spec": s.spec.model_dump(mode="json")}


@router.get("/scenarios/{scenario_id}/replay", summary="Replay a schedule (the JSON of `mmlock show --json`)")
def replay(request: Request, scenario_id: str,
           v: str = Query(..., max_length=64, description="variant id, e.g. v1-pointer-check"),
           run: str = Query("", max_length=MAX_RUN_CHARS, description="schedule, e.g. C2K3AK18A9K2"),
           h: str | None = Query(None, max_length=64, description="scenario digest the link was made for")) -> dict:
    s = _scenario(request, scenario_id)
    if v not in engine.VARIANTS:
        raise HTTPException(400, f"unknown variant {v!r}; variants: {', '.join(engine.VARIANT_IDS)}")
    if h is not None and h != s.digest:
        raise HTTPException(409, f"the link was made for version {h} of {s.id}; the current version is {s.digest}")
    try:
        result = load_run(request.app.state.replays, s, v, run)
    except RunError as e:
        if e.step == 0:
            raise HTTPException(400, f"bad schedule: {e}") from None
        raise HTTPException(422, {"message": str(e), "step": e.step, "enabled": list(e.enabled),
                                  "prefix": engine.format_schedule(e.shown.schedule)}) from None
    return views.replay_json(s, v, result)
