"""Seeded instances on the web: pages, links and the grader keep the instance a link names."""

from __future__ import annotations

import re

import pytest

import engine
from engine.seeds import offset

X06 = "C$ K>down_write A$ K$"
X = 0x7F3A4A000000


def test_a_seeded_exercise_shows_its_own_addresses_and_every_link_keeps_the_seed(client):
    r = client.get("/x/x06?seed=7")
    assert r.status_code == 200
    assert "instance 7" in r.text
    assert f"{X + offset(7):#x}" in r.text and f"{X:#x}" not in r.text
    steps = re.findall(r'href="(/s/realloc-file\?[^"]*)"', r.text)
    assert steps and all("seed=7" in h for h in steps)
    assert 'action="/x/x06/check?seed=7"' in r.text


def test_the_player_opens_a_seeded_scenario_and_replays_the_same_story(client):
    plain = client.get("/api/scenarios/realloc-file/replay?v=v1-pointer-check&run=K16A10C2K9").json()
    seeded = client.get("/api/scenarios/realloc-file/replay?v=v1-pointer-check&run=K16A10C2K9&seed=7").json()
    assert [v["kind"] for v in plain["violations"]] == [v["kind"] for v in seeded["violations"]] == ["null-deref"]
    page = client.get("/s/realloc-file?v=v1-pointer-check&run=K16&seed=7")
    assert page.status_code == 200 and f"{X + offset(7):#x}" in page.text


def test_the_grader_grades_in_the_instance_and_refuses_a_neighbours_link(client):
    ok = client.post("/api/exercises/x06/check?seed=7", json={"schedule": X06}).json()
    assert ok["pass"] and "seed=7" in ok["link"]
    theirs = client.post("/api/exercises/x06/check?seed=3", json={"link": ok["link"]})
    assert theirs.status_code == 422
    assert theirs.json()["detail"] == "The link is of instance 7 of the exercise; this answer is for instance 3."


@pytest.mark.parametrize("seed", ["10000", "١٢", "-1", "x"])
def test_a_bad_seed_is_a_4xx_with_a_sentence(client, seed):
    r = client.get("/api/scenarios/realloc-file/replay", params={"v": "v4.8", "seed": seed})
    assert r.status_code == 422 and "seed" in r.text


def test_a_seed_leaves_every_scenario_link_digest_alone():
    s = engine.catalog()["exit"]
    assert s.seeded(9).link_digest("v4.8") == s.link_digest("v4.8")


@pytest.mark.parametrize("path", ["/x/x06", "/x", "/s/realloc-file"])
def test_a_bad_seed_on_a_page_is_a_422_page_saying_what_a_seed_is(client, path):
    r = client.get(path, params={"seed": "١٢"})
    assert r.status_code == 422
    assert "The seed &#39;١٢&#39; is not a number from 0 to 9999 in ASCII digits" in r.text
