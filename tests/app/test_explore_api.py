"""The explorer's routes: JSON shape, every 4xx, the cache, a full server, the pages.

One app for the module, with its own worker pool, closed at the end.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest

import engine
from app import search as search_module
from app.search import RETRY_AFTER_SECONDS, Searches

SCENARIO = "realloc-file"
V1 = "v1-pointer-check"
EXPLORE = f"/api/scenarios/{SCENARIO}/explore"
HX = {"HX-Request": "true"}
KEYS = {"scenario", "variant", "goal", "verdict", "bound", "states", "transitions", "seconds", "schedule",
        "steps", "preemptions", "shortest_steps", "violation", "link", "start_link", "from", "from_steps",
        "from_link", "shortest_schedule", "shortest_preemptions", "shortest_link"}


@contextmanager
def every_slot_taken(searches: Searches):
    for _ in range(searches.max_in_flight):
        searches.try_acquire()
    try:
        yield
    finally:
        for _ in range(searches.max_in_flight):
            searches.release()


@contextmanager
def searches_of(app, replacement: Searches):
    original = app.state.searches
    app.state.searches = replacement
    try:
        yield replacement
    finally:
        app.state.searches = original
        replacement.close()


def test_explore_returns_the_fewest_preemption_counterexample_with_links(client, digest):
    r = client.get(EXPLORE, params={"v": V1})
    assert r.status_code == 200
    data = r.json()
    assert set(data) == KEYS
    assert (data["verdict"], data["bound"], data["goal"]) == ("violation", None, "any")
    assert data["steps"] == len(engine.parse_schedule(data["schedule"]))
    assert set(data["violation"]) == {"kind", "object", "step", "thread", "message"}
    assert data["violation"]["step"] == data["steps"]
    assert len(engine.parse_schedule(data["shortest_schedule"])) == data["shortest_steps"] <= data["steps"]
    assert data["shortest_preemptions"] >= data["preemptions"]
    assert data["shortest_link"].startswith(f"/s/{SCENARIO}?v={V1}&run={data['shortest_schedule']}")
    assert data["link"] == f"/s/{SCENARIO}?v={V1}&run={data['schedule']}&h={digest}"
    assert data["start_link"] == f"/s/{SCENARIO}?v={V1}&h={digest}"
    final = engine.replay(engine.catalog()[SCENARIO].initial(V1), engine.parse_schedule(data["schedule"])).final
    assert final.violation.kind == data["violation"]["kind"]


def test_explore_proves_v4_8_safe_with_counts_and_no_schedule(client):
    data = client.get(EXPLORE, params={"v": "v4.8", "goal": "any"}).json()
    assert (data["verdict"], data["bound"], data["schedule"], data["link"], data["violation"]) == (
        "safe", None, None, None, None)
    assert data["states"] > 1 and data["transitions"] >= data["states"] - 1 and data["seconds"] >= 0


def test_explore_with_a_goal_finds_that_kind(client):
    data = client.get(EXPLORE, params={"v": V1, "goal": "null-deref"}).json()
    assert data["verdict"] == "violation" and data["violation"]["kind"] == "null-deref"


def test_a_repeated_search_is_answered_from_the_cache(client):
    params = {"v": V1, "goal": "rwsem-imbalance", "max_states": "150000"}
    first = client.get(EXPLORE, params=params)
    second = client.get(EXPLORE, params=params)
    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("miss", "hit")
    assert first.json() == second.json()


def test_a_search_stopped_by_max_states_is_incomplete_and_names_the_bound(client):
    data = client.get(EXPLORE, params={"v": "v4.8", "max_states": "5"}).json()
    assert (data["verdict"], data["bound"], data["schedule"]) == ("incomplete", "max-states", None)
    assert data["states"] == 2 * 5      # each of the two passes stops at 5 states; the count has both


def test_a_search_out_of_time_is_handed_out_again_only_for_a_while(app, client, monkeypatch):
    with searches_of(app, Searches(budget=-1.0)) as searches:
        params = {"v": "v4.8", "max_states": "123456"}
        first = client.get(EXPLORE, params=params)
        second = client.get(EXPLORE, params=params)
        assert (first.json()["verdict"], first.json()["bound"]) == ("incomplete", "time")
        assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("miss", "hit")
        assert len(searches.cache) == 0
        monkeypatch.setattr(search_module, "RECENT_SECONDS", 0.0)
        assert client.get(EXPLORE, params=params).headers["X-Cache"] == "miss"


def test_a_complete_answer_serves_every_larger_max_states_and_not_a_smaller_one(app, client):
    with searches_of(app, Searches()):
        first = client.get(EXPLORE, params={"v": "v4.8-no-vma-check"})
        assert (first.json()["verdict"], first.headers["X-Cache"]) == ("safe", "miss")
        states = first.json()["states"]
        for more in (states, 800001, 800002):
            r = client.get(EXPLORE, params={"v": "v4.8-no-vma-check", "max_states": str(more)})
            assert (r.headers["X-Cache"], r.json()) == ("hit", first.json())
        fewer = client.get(EXPLORE, params={"v": "v4.8-no-vma-check", "max_states": "10"})
        assert (fewer.headers["X-Cache"], fewer.json()["bound"]) == ("miss", "max-states")


@pytest.mark.parametrize("path, params, status, words", [
    ("/api/scenarios/no-such/explore", {}, 404, "unknown scenario 'no-such'"),
    (EXPLORE, {"v": "v9"}, 400, "unknown variant 'v9'"),
    (EXPLORE, {"goal": "crash"}, 400, "The goal 'crash' is not valid: unknown violation kind"),
    (EXPLORE, {"goal": "use-after-free:inode"}, 400, "unknown object 'inode'"),
    (EXPLORE, {"goal": "SCAN_lower"}, 400, "is not a scan code"),
    (EXPLORE, {"max_states": "0"}, 400, "max_states must be from 1 to"),
    (EXPLORE, {"max_states": "lots"}, 400, "max_states must be a whole number written with the digits 0-9, got 'lots'"),
    (EXPLORE, {"max_states": "１２"}, 400, "written with the digits 0-9, got '１２'"),
    (EXPLORE, {"max_states": "²"}, 400, "written with the digits 0-9, got '²'"),
    (EXPLORE, {"max_states": "99999999"}, 400, "max_states must be from 1 to 1000000"),
    (EXPLORE, {"max_preemptions": "-1"}, 400, "max_preemptions must be a whole number"),
    (EXPLORE, {"max_preemptions": "65"}, 400, "max_preemptions must be from 0 to 64"),
    (EXPLORE, {"h": "0123456789"}, 409, "the link was made for version 0123456789"),
    ("/api/scenarios/no-such/checks", {}, 404, "unknown scenario 'no-such'"),
])
def test_bad_requests_get_a_4xx_whose_message_names_the_problem(client, path, params, status, words):
    r = client.get(path, params=params)
    assert r.status_code == status
    assert words in r.json()["detail"]


def test_an_over_long_goal_is_refused_before_any_search(client):
    r = client.get(EXPLORE, params={"goal": "x" * 257})
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["query", "goal"]


def test_a_full_server_answers_503_with_retry_after(app, client):
    with every_slot_taken(app.state.searches):
        r = client.get(EXPLORE, params={"v": "v4.8-no-vma-null"})
    assert r.status_code == 503
    assert r.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "searches are already running" in r.json()["detail"]


def test_a_full_server_still_answers_cached_searches(app, client):
    client.get(EXPLORE, params={"v": "v4.8-no-exit-test"})
    with every_slot_taken(app.state.searches):
        r = client.get(EXPLORE, params={"v": "v4.8-no-exit-test"})
    assert (r.status_code, r.headers["X-Cache"]) == (200, "hit")


def test_explore_page_shows_the_verdict_counts_and_step_zero_link(client, digest):
    r = client.get(f"/s/{SCENARIO}/explore", params={"v": V1, "goal": "any", "ask": "find"})
    assert r.status_code == 200 and r.template.name == "explore.html"
    x = r.context["x"]
    assert x.headline.startswith("Found a bad schedule:")
    assert x.cli == f"mmlock explore {SCENARIO} --variant {V1} --goal any"
    assert x.segments[-1].href == x.answer["link"]
    assert f'href="/s/{SCENARIO}?v={V1}&amp;h={digest}"' in r.text
    assert "Step through it from step 0" in r.text and "states and" in r.text


def test_prove_it_safe_words_the_same_search_as_a_proof(client):
    proof = client.get(f"/s/{SCENARIO}/explore", params={"v": "v4.8", "ask": "prove"}).context["x"]
    search = client.get(f"/s/{SCENARIO}/explore", params={"v": "v4.8", "ask": "find"}).context["x"]
    assert proof.headline.startswith("Proved safe within the model")
    assert search.headline.startswith("No bad schedule exists")
    assert proof.answer == search.answer


def test_explore_fragment_for_htmx_is_the_result_section_alone(client):
    r = client.get(f"/s/{SCENARIO}/explore", params={"v": V1}, headers=HX)
    assert r.template.block == "stage"
    assert r.text.lstrip().startswith('<section id="explore-result"') and "<html" not in r.text


def test_a_fragment_with_bad_input_swaps_in_with_200_and_names_the_problem(client):
    r = client.get(f"/s/{SCENARIO}/explore", params={"v": V1, "goal": "crash"}, headers=HX)
    assert r.status_code == 200 and "The goal &#39;crash&#39; is not valid" in r.text
    page = client.get(f"/s/{SCENARIO}/explore", params={"v": V1, "goal": "crash"})
    assert page.status_code == 400 and "<html" in page.text


def test_a_busy_page_says_so_with_503_and_retry_after(app, client):
    with every_slot_taken(app.state.searches):
        page = client.get(f"/s/{SCENARIO}/explore", params={"v": "v4.8-no-vma-check"})
        fragment = client.get(f"/s/{SCENARIO}/explore", params={"v": "v4.8-no-vma-check"}, headers=HX)
    assert page.status_code == 503 and page.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert fragment.status_code == 200 and "The explorer is busy" in fragment.text


def test_cancel_says_the_worker_stops_within_its_budget(client):
    r = client.get(f"/s/{SCENARIO}/explore/cancel", headers=HX)
    assert r.status_code == 200 and "within its 10 s budget" in r.text


def test_every_page_links_the_checks_table(client):
    assert '<a href="/checks">Why each check</a>' in client.get("/").text


def test_a_goal_the_scenario_cannot_produce_is_a_400_not_a_proof(client):
    r = client.get(EXPLORE, params={"v": "v4.8", "goal": "SCAN_EXCEED_SWAP_PTE"})
    assert r.status_code == 400 and "no thread of realloc-file under v4.8 can return SCAN_EXCEED_SWAP_PTE" in r.json()["detail"]


def test_a_result_goal_is_answered(client):
    data = client.get(EXPLORE, params={"v": "v4.8", "goal": "result:K=SCAN_VMA_CHECK"}).json()
    assert (data["verdict"], data["goal"]) == ("goal-reached", "result:K=SCAN_VMA_CHECK") and data["schedule"]


def test_a_state_goal_is_searched_and_its_headline_says_what_was_reached(client):
    goal = "result(K)=SCAN_SUCCEED & final(pmd[X])=huge"
    api = client.get(EXPLORE, params={"v": "v4.8", "goal": goal})
    assert api.status_code == 200 and api.json()["verdict"] == "goal-reached"
    assert api.json()["goal"] == "result:K=SCAN_SUCCEED & final(pmd[X])=huge"
    page = client.get(f"/s/{SCENARIO}/explore", params={"v": "v4.8", "goal": goal})
    assert "Found a schedule where K ends with SCAN_SUCCEED and pmd[X] is huge" in page.text
    bad = client.get(EXPLORE, params={"v": "v4.8", "goal": "final(pmd[X])=flat"})
    assert bad.status_code == 400 and "a pmd holds none, table, huge" in bad.json()["detail"]


def test_explore_from_a_state_keeps_the_prefix_and_answers_from_step_zero(client, digest):
    data = client.get(EXPLORE, params={"v": V1, "goal": "null-deref", "from": "K16A10"}).json()
    assert (data["verdict"], data["from"], data["from_steps"]) == ("violation", "K16A10", 26)
    assert data["schedule"].startswith("K16A10") and data["violation"]["step"] == data["steps"]
    assert data["from_link"] == f"/s/{SCENARIO}?v={V1}&run=K16A10&h={digest}"
    plain = client.get(EXPLORE, params={"v": V1, "goal": "null-deref"}).json()
    assert plain["from"] is None and plain["from_link"] is None


def test_from_a_state_after_which_the_goal_is_gone_is_a_proof_from_there(client):
    r = client.get(f"/s/{SCENARIO}/explore", params={"v": V1, "goal": "null-deref", "from": "A"})
    assert r.status_code == 200
    assert "No schedule reaches null-deref on v1-pointer-check from step 1." in r.text
    assert 'id="explore-from"' in r.text and "--from A" in r.text


@pytest.mark.parametrize("start, status, message", [
    ("K99", 422, "from=K99: step 17: thread K (khugepaged) is blocked"),     # well-formed, stops replaying
    ("KZ", 400, "from=KZ: schedule 'KZ': character 2")])                    # malformed
def test_a_starting_state_that_cannot_be_reached_names_the_step_or_the_mistake(client, start, status, message):
    r = client.get(EXPLORE, params={"v": V1, "from": start})
    assert r.status_code == status and message in r.json()["detail"]


def test_the_player_offers_to_search_from_its_state_and_not_at_step_zero(client):
    here = client.get(f"/s/{SCENARIO}", params={"v": V1, "run": "K3"}).text
    assert 'name="from" value="K3"' in here and "from this state (step 3)" in here
    assert 'name="from"' not in client.get(f"/s/{SCENARIO}", params={"v": V1}).text
    ended = client.get(f"/s/{SCENARIO}", params={"v": V1, "run": "K16A10C2K9"}).text   # the null-deref ends it
    assert "Find a bad schedule" in ended and 'name="from"' not in ended
