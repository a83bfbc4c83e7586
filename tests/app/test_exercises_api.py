"""The exercises' JSON API: the list and one exercise (never their answers), and the grader's
POST /api/exercises/{id}/check with every status it documents.

The built-in x04 (predict), x06 (goal) and x07 (goal, then prove) are the content under
test; a fix exercise is written to a folder of its own.  Apps made here have their own
worker pools, so a verdict is not computed until something asks for it: the first ask is
the grader's 503."""

from __future__ import annotations

import re
import time
import warnings

import pytest

from app.main import create_app
from app.problems import PROBLEM_JSON

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

X06_ANSWER = "C$ K>down_write A$ K$"
X06_RUN = "C2K21A10K2"
SECRETS = {"answer", "wrong", "explain", "learning"}
FIX = """
id = "x90"
title = "One check is enough"
quest = "C"
difficulty = 3
minutes = 10
scenario = "munmap-nothing-above"
variant = "v4.8"
learning = "When nothing is above the address, find_vma returns NULL, and the NULL test alone catches it."
covers = ["C4"]
hints = ["What does find_vma return when nothing is left above the address?"]

[[parts]]
task = "Pick the fewest checks that keep munmap-nothing-above safe."
fix = { scenarios = ["munmap-nothing-above"] }
answer = ["vma-null"]
wrong = [["address-range"]]
"""


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """An app of its own, with the fix exercise x90 beside the built-in ones."""
    folder = tmp_path_factory.mktemp("exercises")
    (folder / "x90.toml").write_text(FIX)
    application = create_app(exercise_dir=folder)
    yield TestClient(application)
    application.state.searches.close()


def check(client, exercise, **body):
    return client.post(f"/api/exercises/{exercise}/check", json=body)


def until_ready(client, exercise, **body):
    """The first answer that is not a 503 (bounded: 120 s)."""
    end = time.monotonic() + 120
    while time.monotonic() < end:
        r = check(client, exercise, **body)
        if r.status_code != 503:
            return r
        time.sleep(0.25)
    raise AssertionError(f"{exercise} {body} still computing after 120 s")


def keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys(v)}
    return set()


def is_sentence(text: str) -> bool:
    """A full stop at the end, and a capital at the start unless it starts with an id (x06, vma-check)."""
    return text.endswith(".") and re.match(r"[a-z]+ ", text) is None


def test_the_list_describes_every_exercise_without_its_answers(client, app):
    r = client.get("/api/exercises")
    assert r.status_code == 200
    body = r.json()
    assert [x["id"] for x in body] == sorted(app.state.exercises)
    x06 = next(x for x in body if x["id"] == "x06")
    assert x06 | {"digest": "", "link": ""} == {
        "id": "x06", "title": "Same address, different VMA", "quest": "B", "quest_name": "v1's pointer check",
        "difficulty": 2, "minutes": 10, "covers": ["claim-2", "claim-4", "C2", "C10"], "kinds": ["goal"],
        "parts": [""], "explorer": True, "digest": "", "link": ""}
    assert x06["link"] == f"/x/x06?h={app.state.exercises['x06'].digest}"
    assert keys(body) & SECRETS == set()


def test_one_exercise_gives_its_parts_choices_and_start_links(client):
    x04 = client.get("/api/exercises/x04").json()
    part = x04["parts"][0]
    assert part["kind"] == "predict" and part["name"] == "x04"
    assert [c["id"] for c in part["choices"]] == ["equal", "different", "null", "blocks"]
    assert client.get(part["start_link"]).context["p"].steps == 30
    x07 = client.get("/api/exercises/x07").json()
    assert [(p["id"], p["kind"], p["start"]) for p in x07["parts"]] == [
        ("a", "goal", "after C2 (from: C$)"), ("b", "prove", "after C2 (from: C$)")]
    assert client.get(x07["parts"][1]["start_link"]).context["p"].schedule == "C2"
    assert keys(x04) & SECRETS == set() and keys(x07) & SECRETS == set()


def test_a_schedule_that_reaches_the_goal_passes_and_its_link_replays(client):
    r = check(client, "x06", schedule=X06_ANSWER)
    assert r.status_code == 200
    body = r.json()
    assert body["pass"] is True and body["exercise"] == "x06" and body["part"] == ""
    assert body["reason"].startswith("Solved: the run ends at step 35 in null-deref") and is_sentence(body["reason"])
    assert client.get(body["link"]).context["p"].schedule == X06_RUN


def test_a_schedule_that_misses_fails_with_what_the_run_did(client):
    body = check(client, "x06", schedule="C$ K$ A$").json()
    assert body["pass"] is False
    assert body["reason"] == ("Not yet: the goal is reach(null-deref@anon_vma_lock_write), and the run ends after "
                              "51 steps with no violation; K returned SCAN_SUCCEED.")
    assert client.get(body["link"]).context["p"].steps == 51


@pytest.mark.parametrize("link", [f"/s/realloc-file?v=v1-pointer-check&run={X06_RUN}", f"/x/x06?run={X06_RUN}",
                                  f"http://example.edu/x/x06?run={X06_RUN}&h=whatever"])
def test_a_link_copied_from_the_app_is_graded_from_step_0(client, link):
    assert check(client, "x06", link=link).json()["pass"] is True


def test_a_part_is_named_by_its_letter_and_its_run_must_begin_at_its_start(client):
    body = check(client, "x07", part="a", schedule="K>down_write A$ K$").json()
    assert body["pass"] is True and body["part"] == "a" and "run=C2K21A10K2" in body["link"]
    r = check(client, "x07", part="a", link=f"/x/x07?part=a&run={X06_RUN[2:]}")
    assert r.status_code == 422
    assert r.json()["detail"] == "The run does not start from the exercise's state: it must begin with C2 (C$)."


def test_a_predict_choice_is_held_to_the_step_and_the_link_shows_it_taken(client, app):
    right = check(client, "x04", choice="equal").json()
    assert right["pass"] is True and right["reason"].startswith("Right: vma == vma_orig: the same object")
    after = app.state.exercises["x04"].parts[0].predict.after
    assert client.get(right["link"]).context["p"].steps == len(after.schedule)
    wrong = check(client, "x04", choice="null").json()
    assert wrong["pass"] is False and wrong["reason"].startswith("Not this time: you said vma is NULL, but ")


@pytest.mark.parametrize("path, body, status, says", [
    ("x99", {"schedule": "K"}, 404, "There is no exercise 'x99'; the exercises are "),
    ("x07", {"part": "q", "schedule": "K"}, 404, "Exercise x07 has no part 'q'; its parts are a, b."),
    ("x06", {"choice": "equal"}, 422, "x06 is a schedule part: send schedule or link, not choice."),
    ("x04", {"schedule": "K"}, 422, "x04 is a predict part: send choice, not schedule."),
    ("x04", {"choice": "maybe"}, 422, "'maybe' is not one of the choices: equal, different, null, blocks."),
    ("x06", {}, 422, "Send exactly one of schedule, link, choice, checks, claim; this request has none of them."),
    ("x06", {"schedule": "K", "link": "/x/x06"}, 422, "Send exactly one of schedule, link, choice, checks, claim; "
                                                      "this request has schedule and link."),
    ("x06", {"schedule": "Q"}, 422, "The schedule does not run: "),
    ("x06", {"link": "/guide/model"}, 422, "A link to grade opens the player (/s/…) or an exercise (/x/…)."),
    ("x07", {"part": "b", "claim": "reachable"}, 422, "To say it is reachable, send the schedule that reaches it."),
])
def test_every_refusal_is_a_problem_whose_detail_is_a_sentence(client, path, body, status, says):
    r = check(client, path, **body)
    assert r.status_code == status and r.headers["content-type"] == PROBLEM_JSON
    problem = r.json()
    assert problem["status"] == status and problem["instance"] == f"/api/exercises/{path}/check"
    assert problem["detail"].startswith(says) and is_sentence(problem["detail"])


def test_a_body_the_schema_refuses_is_fastapis_422_with_errors(client):
    r = check(client, "x06", schedule="K", colour="blue")
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "colour"]
    assert client.post("/api/exercises/x06/check", content=b"not json").status_code == 422


def test_a_claim_waits_for_the_explorer_with_a_503_then_is_proven(fresh):
    r = check(fresh, "x07", part="b", claim="unreachable")
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert r.json()["detail"] == "The explorer's verdict for x07b is still being computed; ask again in 5 s."
    body = until_ready(fresh, "x07", part="b", claim="unreachable").json()
    assert body["pass"] is True and body["link"] is None
    assert body["reason"] == ("Proven: the explorer's complete search (260 states) finds no schedule with no "
                              "preemption that reaches null-deref.")


def test_a_schedule_for_a_prove_part_is_replayed_against_the_bound(fresh):
    body = check(fresh, "x07", part="b", schedule="K>down_write A$ K$").json()
    assert body["pass"] is False
    assert body["reason"].endswith("the schedule has 1 preemption; the claim allows at most 0.")


def test_a_fix_is_graded_against_the_check_sets_once_they_are_computed(fresh):
    first = check(fresh, "x90", checks=["vma-null"])
    assert first.status_code == 503 and "munmap-nothing-above" in first.json()["detail"]
    right = until_ready(fresh, "x90", checks=["vma-null"]).json()
    assert right["pass"] is True and right["reason"].startswith("Fixed: with ")
    unsafe = check(fresh, "x90", checks=["address-range"]).json()
    assert unsafe["pass"] is False and unsafe["reason"].startswith("Not safe: with ")
    assert fresh.get(unsafe["link"]).status_code == 200         # the counterexample, in the player
    more = check(fresh, "x90", checks=["vma-null", "pmd-recheck"]).json()
    assert more["pass"] is False and more["reason"].startswith("Safe, but not the smallest")
    unknown = check(fresh, "x90", checks=["magic"])
    assert unknown.status_code == 422 and unknown.json()["detail"].startswith("magic: the checks to pick from are ")


def test_a_fix_part_page_offers_the_checks_as_checkboxes(fresh):
    r = fresh.get("/x/x90")
    assert r.status_code == 200 and r.template.name == "exercise_fix.html"
    assert r.text.count('type="checkbox" name="checks"') == 5 and 'href="/s/munmap-nothing-above/checks"' in r.text
    page = fresh.post("/x/x90/check", data={"checks": ["vma-null"]})
    assert page.status_code == 200 and page.context["passed"]


def test_openapi_documents_every_status_of_the_grader(client):
    spec = client.get("/openapi.json").json()
    op = spec["paths"]["/api/exercises/{exercise_id}/check"]["post"]
    assert {"200", "404", "422", "503"} <= set(op["responses"])
    assert "Retry-After" in op["responses"]["503"]["headers"]
    result = spec["components"]["schemas"]["CheckResult"]
    assert set(result["properties"]) == {"pass", "reason", "link", "exercise", "part"}
    assert {"/api/exercises", "/api/exercises/{exercise_id}"} <= set(spec["paths"])
