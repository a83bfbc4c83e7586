"""The explorer page's view model, and the Goal as a value from the route to the cache."""

import shlex

import engine
from app.answers import explore_json
from app.links import player_href
from app.search import Bounds, Search
from app.views.explore import ExplorePage, cli_line, explore_page, segments
from engine.explore import EngineModel, Goal, explore, parse_goal

S = engine.catalog()["realloc-file"]
V1 = "v1-pointer-check"


def test_segments_link_the_state_after_each_run_of_one_thread():
    segs = segments(S, V1, "C2K3A")
    assert [(g.tid, g.count, g.first, g.last) for g in segs] == [("C", 2, 1, 2), ("K", 3, 3, 5), ("A", 1, 6, 6)]
    assert segs[1].href == player_href(S, V1, tuple("CCKKK"))


def test_the_cli_line_names_only_bounds_that_differ_from_the_defaults():
    assert cli_line(Search(S, V1, Goal(), Bounds())) == f"mmlock explore realloc-file --variant {V1} --goal any"
    assert cli_line(Search(S, V1, parse_goal("null-deref"), Bounds(500, 2))) == (
        f"mmlock explore realloc-file --variant {V1} --goal null-deref --max-preemptions 2 --max-states 500")


def test_the_page_is_built_from_the_answer_and_reads_like_the_mapping_it_replaced():
    search = Search(S, V1, Goal(), Bounds())
    answer = explore_json(explore(EngineModel(S.initial(V1)), Goal()), S, V1, 0.1)
    x = explore_page(search, answer, cached=False, ask="nonsense")
    assert isinstance(x, ExplorePage) and x.ask == "find"
    assert x.headline.startswith("Found a bad schedule:")
    assert x.segments[-1].href == answer["link"]
    assert x.player_href == player_href(S, V1, ())


def test_the_route_hands_the_worker_a_goal_value(app, client, monkeypatch):
    seen = []
    real = app.state.searches.explore

    async def spy(search, gone=None):
        seen.append(search)
        return await real(search, gone)

    monkeypatch.setattr(app.state.searches, "explore", spy)
    client.get("/api/scenarios/realloc-file/explore", params={"v": V1, "goal": " null-deref "})
    (search,) = seen
    assert search.goal == Goal(kind="null-deref") and search.key[3] == Goal(kind="null-deref")


def test_the_headline_of_a_reached_goal_says_what_was_reached():
    from app.views.explore import headline
    base = {"verdict": "goal-reached", "variant": "v4.8", "steps": 12}
    assert headline({**base, "goal": "result:K=SCAN_ANY_PROCESS"}, "find") == \
        "Found a schedule where K ends with SCAN_ANY_PROCESS, after 12 steps."
    assert headline({**base, "goal": "SCAN_PMD_NULL"}, "find") == "Found a schedule where a step gives SCAN_PMD_NULL, after 12 steps."


def test_the_command_line_quotes_a_goal_and_a_variant_the_shell_would_split():
    line = cli_line(Search(S, "v4.8[checks=vma-check]", parse_goal("result(K)=SCAN_SUCCEED & final(pmd[X])=huge"), Bounds()))
    assert line == ("mmlock explore realloc-file --variant 'v4.8[checks=vma-check]' "
                    "--goal 'result:K=SCAN_SUCCEED & final(pmd[X])=huge'")
    assert shlex.split(line)[-1] == "result:K=SCAN_SUCCEED & final(pmd[X])=huge"
