"""Run-until directives wherever the web takes a schedule: the player, the API, the explorer's
starting state; links carry the canonical run-length form."""

import engine
from tests.app.conftest import SCENARIO, V1

REPLAY = f"/api/scenarios/{SCENARIO}/replay"


def test_the_api_replays_directives_and_answers_the_canonical_schedule(client):
    r = client.get(REPLAY, params={"v": V1, "run": "K16 A10 C$ K$"})
    assert r.status_code == 200
    body = r.json()
    assert body["schedule"] == "K16A10C2K9" and [v["kind"] for v in body["violations"]] == ["null-deref"]


def test_a_directive_that_cannot_be_met_is_a_422_with_the_step_and_the_valid_prefix(client):
    r = client.get(REPLAY, params={"v": V1, "run": "C$ K>down_writex"})
    assert r.status_code == 422
    body = r.json()
    assert "K>down_writex: K finished at step 41 without reaching down_writex" in body["detail"]
    assert body["prefix"].startswith("C2K") and body["step"] == 42 and body["enabled"] == ["A"]
    assert len(engine.parse_schedule(body["prefix"])) == 41


def test_the_player_opens_the_state_directives_reach_with_canonical_links(client):
    r = client.get(f"/s/{SCENARIO}", params={"v": V1, "run": "K>__collapse_huge_page_swapin"})
    assert r.status_code == 200
    p = r.context["p"]
    assert p.schedule == "K8" and f"run={p.schedule}&" in p.href and ">" not in p.href


def test_the_explorer_starts_from_the_state_directives_reach(client):
    data = client.get(f"/api/scenarios/{SCENARIO}/explore", params={"v": V1, "goal": "null-deref",
                                                                    "from": "K16 A$"}).json()
    assert data["from"] == "K16A10" and data["schedule"].startswith("K16A10")
