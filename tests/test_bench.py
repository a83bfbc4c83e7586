"""The benchmarks' own models still run (the numbers are measured by `make bench`, not here)."""

import engine
from bench.engine import synthetic


def test_the_synthetic_replay_runs_to_its_end():
    state, tids = synthetic()
    final = engine.replay(state, tids).final
    assert len(tids) > 400 and final.violation is None and not engine.enabled(final)


def test_the_explorer_bench_times_each_scenario_under_its_own_eras_variants():
    from bench.explore import searches
    pairs = searches()
    assert {sid for sid, _, _ in pairs} == set(engine.catalog())
    for _, scenario, vid in pairs:
        assert vid in scenario.variant_ids and scenario.initial(vid).threads
