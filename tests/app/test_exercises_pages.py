"""The exercise pages: the quests and problem sets, an exercise part in the player, the
teacher's solution page, and Check as a form that works without JavaScript.

The built-in exercises x04 (a predict question), x06 (a schedule goal) and x07 (a goal and
a prove claim, both starting after C$) are the content under test."""

from __future__ import annotations

import re
import time

import pytest

import engine
from app import links
from tests.app.conftest import HX

X06_ANSWER = "C$ K>down_write A$ K$"
X06_RUN = "C2K21A10K2"          # what the answer compiles to: the null-deref at step 35


@pytest.fixture(scope="module")
def exercises(app):
    return app.state.exercises


def post(client, path, **fields):
    return client.post(path, data=fields, headers={"Content-Type": "application/x-www-form-urlencoded"})


def test_links_carry_part_run_and_digest(exercises):
    x06, x07 = exercises["x06"], exercises["x07"]
    assert links.exercise_href(x06) == f"/x/x06?h={x06.digest}"
    assert links.exercise_href(x07, "b", tuple("CCKK")) == f"/x/x07?part=b&run=C2K2&h={x07.digest}"
    assert links.exercises_href() == "/x" and links.exercises_href(("x03", "x06")) == "/x?set=x03,x06"
    assert links.solution_href(x06) == "/x/x06/solution"
    assert links.exercise_check_href(x06) == "/x/x06/check"
    assert links.exercise_check_api_href(x06) == "/api/exercises/x06/check"


def test_the_list_shows_quests_a_to_e_in_order_with_each_exercise(client, exercises):
    r = client.get("/x")
    assert r.status_code == 200 and r.template.name == "exercises.html"
    quests = r.context["page"].quests
    assert [q.letter for q in quests] == list("ABCDE")
    assert quests[1].name == "v1's pointer check" and quests[4].name == "why write"
    b = {c.id: c for c in quests[1].cards}
    assert b["x04"].kinds == ["predict"] and b["x06"].kinds == ["schedule"]
    assert (b["x06"].difficulty, b["x06"].minutes) == (2, 10)
    assert "claim 2" in [c.label for c in b["x06"].covers]
    assert 'data-progress="x06"' in r.text and 'data-progress="x07a x07b"' in r.text
    assert r.text.index("Quest A") < r.text.index("Quest B") < r.text.index("Quest E")
    assert '<a href="/x">Exercises</a>' in r.text        # the site's nav


def test_a_problem_set_shows_only_its_exercises_in_its_order(client):
    r = client.get("/x?set=x06,x04")
    assert r.status_code == 200
    page = r.context["page"]
    assert page.title == "Problem set" and page.quests == []
    assert [c.id for c in page.problem_set] == ["x06", "x04"]
    assert r.text.index("Same address, different VMA") < r.text.index("Will vma == vma_orig?")


def test_a_problem_set_naming_an_unknown_exercise_is_a_404_listing_the_known_ones(client, exercises):
    r = client.get("/x?set=x04,x99")
    assert r.status_code == 404
    message = r.context["message"]
    assert message.startswith("The problem set names 'x99'") and message.endswith(".")
    assert all(i in message for i in exercises)


@pytest.mark.parametrize("old", ["/exercises", "/learn"])
def test_the_old_names_redirect_to_the_list(client, old):
    r = client.get(old, follow_redirects=False)
    assert r.status_code == 301 and r.headers["location"] == "/x"
    assert client.get(old + "?set=x04", follow_redirects=False).headers["location"] == "/x?set=x04"


def test_a_predict_part_opens_at_its_question_with_the_choices(client, exercises):
    x04 = exercises["x04"]
    r = client.get("/x/x04")
    assert r.status_code == 200 and r.template.name == "exercise.html"
    p, e = r.context["p"], r.context["e"]
    before = x04.parts[0].predict.before
    assert p.steps == len(before.schedule) and p.schedule == engine.format_schedule(before.schedule)
    assert [c.value for c in e.choices] == ["equal", "different", "null", "blocks"]
    assert r.text.count('name="choice"') == 4 and 'action="/x/x04/check"' in r.text
    assert r.text.count('class="hint"') == len(x04.spec.hints) and "Show hint 1 of 2" in r.text
    assert 'href="/x/x04/solution"' in r.text
    assert "no-explorer" in r.text and 'id="explorer-link"' not in r.text      # x04 turns the explorer off
    assert '<script src="/static/exercises.js" defer></script>' in r.text and "<script>" not in r.text
    assert f'data-run="{p.schedule}"' in r.text


def test_a_goal_part_opens_at_step_0_with_a_schedule_field_and_the_explorer(client):
    r = client.get("/x/x06")
    e = r.context["e"]
    assert r.context["p"].steps == 0 and e.kind == "goal" and e.goal == "reach(null-deref@anon_vma_lock_write)"
    assert 'name="answer"' in r.text and 'name="run"' in r.text and 'id="explorer-link"' in r.text
    assert "<kbd>x</kbd>" in r.text        # the Check key, on the page and in the keys dialog


def test_an_exercise_url_is_a_whole_state_and_its_share_link_stays_in_the_exercise(client, exercises):
    href = links.exercise_href(exercises["x06"], "", engine.parse_schedule(X06_RUN))
    r = client.get(href)
    assert r.status_code == 200
    p = r.context["p"]
    assert p.steps == 35 and p.violation.kind == "null-deref"
    assert f'data-href="{href.replace("&", "&amp;")}"' in r.text


def test_a_part_with_a_start_opens_there_and_refuses_a_run_that_does_not_begin_with_it(client, exercises):
    r = client.get("/x/x07?part=b")
    assert r.status_code == 200 and r.context["p"].schedule == "C2"
    assert r.context["e"].kind == "prove" and 'value="unreachable"' in r.text
    assert "starts after C2 (from: C$)" in r.text
    bad = client.get("/x/x07?part=b&run=K")
    assert bad.status_code == 400
    assert bad.context["message"] == "The run K does not start from x07b's state: it must begin with C2 (C$)."


def test_a_run_that_does_not_replay_is_a_400_sentence(client):
    r = client.get("/x/x06?run=Z")
    assert r.status_code == 400 and r.context["message"].startswith("The run Z does not replay: ")
    assert r.context["message"].endswith(".")


def test_an_unknown_exercise_or_part_is_a_404_and_an_old_digest_a_409(client, exercises):
    r = client.get("/x/x99")
    assert r.status_code == 404 and r.context["message"].startswith("There is no exercise 'x99'; the exercises are x0")
    assert client.get("/x/x07?part=z").context["message"] == "Exercise x07 has no part 'z'; its parts are a, b."
    assert client.get("/x/x06?part=a").status_code == 404
    old = client.get("/x/x06?run=C&h=000000000000")
    assert old.status_code == 409 and exercises["x06"].digest in old.context["message"]
    current = links.exercise_href(exercises["x06"]) + "&run=C"
    assert old.context["links"] == [("Open it on the current version", current)]


def test_an_htmx_step_inside_an_exercise_gets_the_players_fragment_with_its_run(client):
    r = client.get("/s/realloc-file?v=v1-pointer-check&run=C2K", headers=HX)
    assert r.text.lstrip().startswith('<section id="stage"')
    assert 'data-run="C2K" data-scenario="realloc-file" data-variant="v1-pointer-check"' in r.text


# -- Check without JavaScript ---------------------------------------------------------------
def test_the_form_grades_a_typed_schedule_and_links_the_run(client):
    r = post(client, "/x/x06/check", part="", run="", answer=X06_ANSWER)
    assert r.status_code == 200 and r.template.name == "exercise_result.html"
    assert r.context["passed"] and r.context["reason"].startswith("Solved: the run ends at step 35 in null-deref")
    replay = client.get(r.context["link"])
    assert replay.status_code == 200 and replay.context["p"].schedule == X06_RUN
    assert "Next exercise: x07" in r.text


def test_the_form_without_a_typed_schedule_sends_the_run_the_page_showed(client):
    r = post(client, "/x/x06/check", run=X06_RUN)
    assert r.context["passed"]
    wrong = post(client, "/x/x06/check", run="C2")
    assert not wrong.context["passed"] and wrong.context["reason"].startswith("Not yet: the goal is reach(")
    assert "not yet" in wrong.text


def test_the_form_grades_a_predict_choice_and_links_the_step_taken(client, exercises):
    r = post(client, "/x/x04/check", choice="equal")
    assert r.context["passed"] and r.context["reason"].startswith("Right: vma == vma_orig")
    after = client.get(r.context["link"])
    assert after.context["p"].steps == len(exercises["x04"].parts[0].predict.after.schedule)
    assert "See the step taken" in r.text
    wrong = post(client, "/x/x04/check", choice="different")
    assert not wrong.context["passed"] and wrong.context["reason"].startswith("Not this time: you said vma != vma_orig")


@pytest.mark.parametrize("path, fields, says", [
    ("/x/x04/check", {}, "Pick one of the choices first."),
    ("/x/x04/check", {"choice": "maybe"}, "'maybe' is not one of the choices: equal, different, null, blocks."),
    ("/x/x06/check", {"answer": "K>nothing_here"}, "The schedule does not run: "),
    ("/x/x07/check", {"part": "b", "run": "C2"}, "Pick a claim first: unreachable, or that a schedule reaches it."),
    ("/x/x06/check", {"answer": "/s/exit?v=v4.8&run=K"}, "The link opens exit under v4.8; x06 runs realloc-file"),
])
def test_an_answer_the_grader_cannot_read_is_a_422_page_with_the_sentence(client, path, fields, says):
    r = post(client, path, **fields)
    assert r.status_code == 422
    assert r.context["message"].startswith(says) and r.context["message"].endswith(".")
    assert r.context["links"][0][0] == "Back to the exercise"


def test_the_form_for_an_unknown_part_is_a_404(client):
    assert post(client, "/x/x07/check", part="q", run="C2").status_code == 404


# -- the teacher's page ---------------------------------------------------------------------
def test_the_solution_page_gives_each_answer_graded_its_run_and_the_point(client, exercises):
    r = client.get("/x/x06/solution")
    assert r.status_code == 200
    s = r.context["s"]
    part = s.parts[0]
    assert part.answer == X06_ANSWER and part.passed and part.reason.startswith("Solved:")
    assert client.get(part.runs[0][1]).context["p"].schedule == X06_RUN
    assert s.learning == exercises["x06"].spec.learning
    assert "a stateless, open app cannot keep\n  solutions secret" in r.text


def test_the_solution_of_a_prove_part_gives_the_explorers_verdict_once_it_is_computed(client):
    deadline = 60
    for _ in range(deadline * 4):
        part = client.get("/x/x07/solution").context["s"].parts[1]
        if part.passed is not None and "still computing" not in part.verdict:
            break
        time.sleep(0.25)
    assert part.passed and part.reason.startswith("Proven: the explorer's complete search")
    assert part.verdict.startswith("The explorer finds that null-deref is reachable, with 1 preemption at the fewest, "
                                   "so with at most 0 it is unreachable")
    counterexample = part.runs[-1][1]
    assert re.match(r"/x/x07\?part=b&run=C2", counterexample)
    assert client.get(counterexample).context["p"].violation.kind == "null-deref"
