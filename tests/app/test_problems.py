"""A Problem is JSON for /api routes and a page for the rest, rendered at the edge."""

import warnings

import pytest
from fastapi import FastAPI

from app.problems import Problem, respond

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

BUSY = Problem(503, "Busy", "the server is busy", (("All scenarios", "/"),), headers={"Retry-After": "5"})


@pytest.fixture(scope="module")
def raising():
    app = FastAPI()
    app.add_exception_handler(Problem, respond)

    @app.get("/api/thing")
    def api_thing():
        raise BUSY

    @app.get("/api/detailed")
    def api_detailed():
        raise Problem(422, "Bad", "bad", detail={"message": "bad", "step": 3})

    @app.get("/page")
    def page():
        raise BUSY

    @app.get("/variant-page")
    def variant_page():
        raise Problem(400, "Unknown variant", "unknown variant 'v9'", page_status=404)

    return TestClient(app)


def test_an_api_problem_is_json_detail_with_its_headers(raising):
    r = raising.get("/api/thing")
    assert (r.status_code, r.json(), r.headers["Retry-After"]) == (503, {"detail": "the server is busy"}, "5")


def test_an_api_problem_may_carry_a_structured_detail(raising):
    r = raising.get("/api/detailed")
    assert (r.status_code, r.json()) == (422, {"detail": {"message": "bad", "step": 3}})


def test_a_page_problem_is_the_error_page_with_the_ways_on(raising):
    r = raising.get("/page")
    assert r.status_code == 503 and r.headers["Retry-After"] == "5"
    assert r.template.name == "error.html"
    assert (r.context["title"], r.context["message"], r.context["links"]) == (
        "Busy", "The server is busy", [("All scenarios", "/")])
    assert "<html" in r.text


def test_a_page_problem_uses_its_page_status(raising):
    assert raising.get("/variant-page").status_code == 404


def test_the_app_answers_an_unknown_scenario_as_json_in_the_api_and_a_page_elsewhere(client):
    api = client.get("/api/scenarios/nope")
    page = client.get("/s/nope")
    assert api.headers["content-type"] == "application/json" and "nope" in api.json()["detail"]
    assert page.headers["content-type"].startswith("text/html") and page.template.name == "error.html"


def test_the_replay_422_keeps_its_body(client):
    r = client.get("/api/scenarios/realloc-file/replay", params={"v": "v1-pointer-check", "run": "C3"})
    assert r.json() == {"detail": {"message": r.json()["detail"]["message"], "step": 3, "enabled": ["A", "K"],
                                   "prefix": "C2"}}


def test_a_bad_schedule_page_is_the_player_at_the_longest_valid_prefix(client):
    r = client.get("/s/realloc-file", params={"v": "v1-pointer-check", "run": "C3"})
    assert r.status_code == 400 and r.template.name == "player.html" and r.context["p"].schedule == "C2"
