"""A Problem is an RFC 9457 problem for /api routes and a page for the rest, rendered at the edge."""

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
        raise Problem(422, "Bad", "bad", fields={"step": 3})

    @app.get("/page")
    def page():
        raise BUSY

    @app.get("/variant-page")
    def variant_page():
        raise Problem(400, "Unknown variant", "unknown variant 'v9'", page_status=404)

    return TestClient(app)


def test_an_api_problem_is_problem_json_with_its_headers(raising):
    r = raising.get("/api/thing")
    assert (r.status_code, r.headers["Retry-After"], r.headers["content-type"]) == (503, "5", "application/problem+json")
    assert r.json() == {"type": "about:blank", "title": "Busy", "status": 503, "detail": "the server is busy",
                        "instance": "/api/thing"}


def test_an_api_problem_may_carry_fields_of_its_own(raising):
    r = raising.get("/api/detailed")
    assert (r.status_code, r.json()["detail"], r.json()["step"]) == (422, "bad", 3)


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
    assert api.headers["content-type"] == "application/problem+json" and "nope" in api.json()["detail"]
    assert page.headers["content-type"].startswith("text/html") and page.template.name == "error.html"


def test_the_replay_422_is_a_problem_with_the_step_the_threads_and_the_valid_prefix(client):
    r = client.get("/api/scenarios/realloc-file/replay", params={"v": "v1-pointer-check", "run": "C3"})
    body = r.json()
    assert {k: body[k] for k in ("status", "title", "step", "enabled", "prefix")} == {
        "status": 422, "title": "The schedule does not replay", "step": 3, "enabled": ["A", "K"], "prefix": "C2"}
    assert body["detail"].startswith("step 3:") and body["instance"] == "/api/scenarios/realloc-file/replay"


def test_a_parameter_fastapi_rejects_is_a_problem_naming_it(client):
    r = client.get("/api/scenarios/realloc-file/replay")
    body = r.json()
    assert (r.status_code, r.headers["content-type"], body["title"]) == (422, "application/problem+json", "Invalid request")
    assert body["detail"] == "query.v: Field required" and body["errors"][0]["loc"] == ["query", "v"]


def test_an_unknown_api_path_and_a_too_long_query_are_problems_too(client):
    r = client.get("/api/nothing-here")
    assert (r.status_code, r.json()["detail"]) == (404, "there is no /api/nothing-here")
    long = client.get("/api/scenarios", params={"x": "y" * 5000})
    assert (long.status_code, long.headers["content-type"], long.json()["status"]) == (414, "application/problem+json", 414)
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.template.name == "error.html"


def test_the_openapi_description_documents_every_error_status_as_problem_details(client):
    spec = client.get("/openapi.json").json()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            for code in ("400", "404", "409", "414", "422", "503"):
                assert "application/problem+json" in operation["responses"][code]["content"], (path, method, code)
    assert "HTTPValidationError" not in str(spec) and "ProblemDetails" in spec["components"]["schemas"]


def test_a_bad_schedule_page_is_the_player_at_the_longest_valid_prefix(client):
    r = client.get("/s/realloc-file", params={"v": "v1-pointer-check", "run": "C3"})
    assert r.status_code == 400 and r.template.name == "player.html" and r.context["p"].schedule == "C2"
