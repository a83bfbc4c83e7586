import random

from app import views
import engine
from engine.directives import RUN_PATTERN
from tests.app.conftest import NULL_DEREF_RUN, SCENARIO, V1


def test_list_scenarios_gives_ids_digests_and_expectations(client):
    data = client.get("/api/scenarios").json()
    assert {d["id"] for d in data} == set(engine.catalog())
    catalog = engine.catalog()
    assert all(set(d["expect"]) == set(d["variants"]) == set(catalog[d["id"]].variant_ids)
               == set(d["link_digests"]) for d in data)
    exec_text = next(d for d in data if d["id"] == "realloc-file-exec")
    assert (exec_text["kernel"], exec_text["variants"]) == ("v5.4", ["v5.4", "v5.8"])


def test_get_scenario_includes_the_spec(client, digest):
    data = client.get(f"/api/scenarios/{SCENARIO}").json()
    assert data["link_digests"]["v1-pointer-check"] == digest and data["spec"]["id"] == SCENARIO
    assert data["digest"] == engine.catalog()[SCENARIO].digest


def test_replay_returns_the_show_json(client):
    r = client.get(f"/api/scenarios/{SCENARIO}/replay", params={"v": V1, "run": "C2K3AK18A9K2"})
    data = r.json()
    assert set(data) == {"scenario", "variant", "schedule", "steps", "threads", "enabled", "violations"}
    assert data["steps"] == 35 and data["enabled"] == []
    assert data["violations"][0]["kind"] == "null-deref" and data["violations"][0]["step"] == 35
    assert set(data["threads"][0]) == {"id", "name", "status", "function", "line", "waiting_for", "result"}


def test_replay_json_is_the_same_dict_the_cli_prints(client):
    s = engine.catalog()[SCENARIO]
    run = engine.replay(s.initial(V1), engine.parse_schedule("C2K3A"))
    data = views.replay_json(s, V1, run)
    a = next(t for t in data["threads"] if t["id"] == "A")
    assert a["status"] == "blocked" and a["waiting_for"] == "mmap_sem (write)"


def test_unknown_scenario_is_404(client):
    r = client.get("/api/scenarios/nope/replay", params={"v": V1})
    assert r.status_code == 404 and "nope" in r.json()["detail"]
    assert client.get("/api/scenarios/nope").status_code == 404


def test_unknown_variant_is_400_naming_the_variants(client):
    r = client.get(f"/api/scenarios/{SCENARIO}/replay", params={"v": "v9"})
    assert r.status_code == 400 and "v4.8" in r.json()["detail"]


def test_malformed_schedule_is_400(client):
    r = client.get(f"/api/scenarios/{SCENARIO}/replay", params={"v": V1, "run": "K0"})
    assert r.status_code == 400 and "count" in r.json()["detail"]


def test_a_well_formed_schedule_over_the_step_limit_is_a_422_at_the_step_it_stops(client):
    """Well-formed (in the description's pattern), so not a 400: it stops replaying, here
    where K blocks, long before the 2001st step no replay runs."""
    r = client.get(f"/api/scenarios/{SCENARIO}/replay", params={"v": V1, "run": "K2001"})
    body = r.json()
    assert r.status_code == 422 and body["detail"].startswith("step 17: thread K (khugepaged) is blocked")
    assert 1 < body["step"] < 2001 and body["prefix"] == f"K{body['step'] - 1}"


def test_the_run_parameter_is_described_by_its_grammar(client):
    spec = client.get("/openapi.json").json()
    run = next(p for p in spec["paths"]["/api/scenarios/{scenario_id}/replay"]["get"]["parameters"]
               if p["name"] == "run")
    assert run["schema"]["pattern"] == RUN_PATTERN


def test_schedule_over_the_length_limit_is_422_naming_the_field(client):
    r = client.get(f"/api/scenarios/{SCENARIO}/replay", params={"v": V1, "run": "KA" * 2001})
    assert r.status_code in (414, 422)


def test_unreplayable_schedule_names_the_step_and_the_threads_that_could_run(client):
    r = client.get(f"/api/scenarios/{SCENARIO}/replay", params={"v": V1, "run": "C3"})
    assert r.status_code == 422
    body = r.json()
    assert body["step"] == 3 and body["enabled"] == ["A", "K"] and body["prefix"] == "C2"


def test_old_digest_is_409(client):
    r = client.get(f"/api/scenarios/{SCENARIO}/replay", params={"v": V1, "h": "0000000000"})
    assert r.status_code == 409 and "current version" in r.json()["detail"]


def test_missing_variant_is_422(client):
    assert client.get(f"/api/scenarios/{SCENARIO}/replay").status_code == 422


def test_fuzzed_query_strings_never_give_a_500(client):
    rng = random.Random(1)
    alphabet = "KACBZ0123456789%&=?-_ \x00é"
    paths = [f"/s/{SCENARIO}", f"/s/{SCENARIO}/run", f"/s/{SCENARIO}/compare", f"/api/scenarios/{SCENARIO}/replay"]
    keys = ["v", "run", "h", "a", "b", "t", "to"]
    values = [V1, "v4.8", "", NULL_DEREF_RUN, "lock", "end", "block", "K"]
    for _ in range(300):
        params = {}
        for _ in range(rng.randint(0, 4)):
            key = rng.choice(keys)
            params[key] = rng.choice(values) if rng.random() < 0.5 else "".join(
                rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        r = client.get(rng.choice(paths), params=params)
        assert r.status_code < 500, (r.request.url, r.text[:200])


def test_variant_diff_lists_what_the_second_variant_changes(client):
    r = client.get("/api/variants/v4.8/diff/v4.8-no-exit-test")
    assert r.status_code == 200
    assert r.json() == [{"function": "hugepage_vma_revalidate", "kind": "removed",
                         "old": ["if (unlikely(khugepaged_test_exit(mm))) return SCAN_ANY_PROCESS;"], "new": []}]


def test_variant_diff_of_an_unknown_variant_is_a_404_naming_it(client):
    r = client.get("/api/variants/v4.8/diff/v9")
    assert r.status_code == 404 and "unknown variant 'v9'" in r.json()["detail"]
