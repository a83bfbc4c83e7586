"""The JSON of one replayed state: the API's replay and ``mmlock show --json``.
"""

from __future__ import annotations

import engine
from app.views.format import value_text
from engine import Run, Scenario
from engine.eras import lock_name

def _json_value(value: object) -> object:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return value_text(value)


def replay_json(scenario: Scenario, variant_id: str, run: Run) -> dict:
    state = run.final
    threads = []
    for t in state.threads:
        top = t.top
        threads.append({
            "id": t.tid, "name": t.name, "status": t.status,
            "function": top.program.function if top else None,
            "line": top.line if top else None,
            "waiting_for": f"{lock_name(t.waiting[0], state.config.kernel)} ({t.waiting[1]})" if t.waiting else None,
            "result": _json_value(t.result),
        })
    v = state.violation
    violations = [{"kind": v.kind, "object": v.object, "step": v.step, "thread": v.thread, "message": v.message}] if v else []
    return {"scenario": scenario.id, "variant": variant_id, "schedule": engine.format_schedule(run.schedule),
            "steps": len(run.schedule), "threads": threads, "enabled": list(engine.enabled(state)),
            "violations": violations}
