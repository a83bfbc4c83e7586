"""A /proc/PID/maps reader: a path added as one module and one registry entry."""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from tests.conftest import run, with_threads
from engine.explore import EngineModel, explore, parse_goal

READER = '''
[[threads]]
id = "B"
name = "cat /proc/PID/maps"
program = "show_maps"
'''


@pytest.fixture
def exit_and_reader(tmp_path: Path) -> engine.Scenario:
    return with_threads(tmp_path, "exit", READER)



def test_a_reader_holding_the_mm_makes_the_last_mmput_the_one_that_frees_it(exit_and_reader):
    state = run(exit_and_reader.initial("v4.8"), "KB")
    assert state.mm.users == 2
    state = run(state, "A")
    assert state.mm.users == 1 and state.thread("A").status == "done"
    while "B" in engine.enabled(state):
        state = engine.step(state, "B")
    freed_by = {obj.freed.tid for obj in state.slab.objects if obj.freed is not None}
    assert state.mm.users == 0 and freed_by == {"B"}


def test_a_reader_that_comes_after_the_exit_shows_nothing(exit_and_reader):
    state = run(exit_and_reader.initial("v4.8"), "A")
    state = run(state, "B")
    assert state.thread("B").status == "done" and state.thread("B").result == 0


def test_the_reader_never_reads_a_freed_vma_and_v48_stays_safe(exit_and_reader):
    assert explore(EngineModel(exit_and_reader.initial("v4.8")), parse_goal("any")).verdict == "safe"
