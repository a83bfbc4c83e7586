import pytest

import engine
from app.replays import ReplayCache, RunError, load_run, run_to
from tests.app.conftest import NULL_DEREF_RUN, SCENARIO, V1


@pytest.fixture
def scenario():
    return engine.catalog()[SCENARIO]


def test_cached_replay_equals_engine_replay(scenario):
    tids = engine.parse_schedule(NULL_DEREF_RUN)
    cached = ReplayCache().replay(scenario, V1, tids)
    plain = engine.replay(scenario.initial(V1), tids)
    assert cached.states == plain.states and cached.final.violation == plain.final.violation


def test_one_more_step_costs_one_engine_step(scenario, monkeypatch):
    cache = ReplayCache()
    tids = engine.parse_schedule(NULL_DEREF_RUN)
    cache.replay(scenario, V1, tids[:-1])
    calls = _count_steps(monkeypatch)
    cache.replay(scenario, V1, tids)
    assert calls == [tids[-1]]


def _count_steps(monkeypatch) -> list[str]:
    """Record every engine step a replay takes (replay and extend step through here)."""
    calls: list[str] = []
    real = engine.schedule.step
    monkeypatch.setattr(engine.schedule, "step", lambda s, t: calls.append(t) or real(s, t))
    return calls


def test_an_invalid_schedule_is_replayed_once(scenario, monkeypatch):
    calls = _count_steps(monkeypatch)
    with pytest.raises(RunError) as e:
        load_run(ReplayCache(), scenario, V1, "C2K3C")
    assert e.value.shown.schedule == tuple("CCKKK") and calls == list("CCKKK")


def test_an_invalid_schedule_after_a_cached_prefix_steps_only_past_it(scenario, monkeypatch):
    cache = ReplayCache()
    cache.replay(scenario, V1, tuple("CCK"))
    calls = _count_steps(monkeypatch)
    with pytest.raises(RunError):
        load_run(cache, scenario, V1, "C2K3C")
    assert calls == ["K", "K"]


def test_cache_stays_within_its_bound(scenario):
    cache = ReplayCache(max_states=10)
    cache.replay(scenario, V1, engine.parse_schedule(NULL_DEREF_RUN))
    assert len(cache) == 10


def test_bad_step_raises_with_the_longest_valid_prefix(scenario):
    with pytest.raises(RunError) as e:
        load_run(ReplayCache(), scenario, V1, "C2C")
    assert e.value.step == 3 and e.value.shown.schedule == ("C", "C")


def test_run_to_lock_stops_after_the_next_lock_operation(scenario):
    state = engine.replay(scenario.initial(V1), ("C", "C")).final
    assert run_to(state, "K", "lock") == ("K",)


def test_run_to_block_stops_when_the_thread_blocks(scenario):
    state = engine.replay(scenario.initial(V1), engine.parse_schedule("C2K3")).final
    added = run_to(state, "A", "block")
    after = engine.replay(scenario.initial(V1), engine.parse_schedule("C2K3") + added).final
    assert after.thread("A").status in ("blocked", "done")


def test_directives_step_once_and_leave_their_states_in_the_cache(scenario, monkeypatch):
    cache = ReplayCache()
    calls = _count_steps(monkeypatch)
    run = load_run(cache, scenario, V1, "K16 A$ C$ K$")
    assert engine.format_schedule(run.schedule) == "K16A10C2K9" and len(calls) == len(run.schedule)
    calls.clear()
    assert cache.replay(scenario, V1, run.schedule).final == run.final and calls == []
