"""The benchmarks' own models still run (the numbers are measured by `make bench`, not here)."""

import engine
from bench.engine import synthetic


def test_the_synthetic_replay_runs_to_its_end():
    state, tids = synthetic()
    final = engine.replay(state, tids).final
    assert len(tids) > 400 and final.violation is None and not engine.enabled(final)
