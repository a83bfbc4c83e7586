"""mm_users counts every user of the address space; only the last mmput tears it down."""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from tests.conftest import run, with_threads
from engine.explore import EngineModel, explore, parse_goal

LIBC = 0x7f3a50000000
MUNMAP = f'''
[[threads]]
id = "B"
name = "munmap(libc)"
program = "vm_munmap"
args = {{ start = {LIBC:#x}, len = 0x200000 }}
'''


@pytest.fixture
def exit_and_munmap(tmp_path: Path) -> engine.Scenario:
    return with_threads(tmp_path, "exit", MUNMAP)



def _until_done(state, tid):
    while tid in engine.enabled(state):
        state = engine.step(state, tid)
    return state


def test_every_thread_of_the_process_holds_a_reference(exit_and_munmap):
    assert exit_and_munmap.initial("v4.8").mm.users == 2


def test_an_exit_while_a_thread_is_in_munmap_leaves_the_teardown_to_that_thread(exit_and_munmap):
    state = run(exit_and_munmap.initial("v4.8"), "KB")          # B takes mmap_sem (write)
    state = _until_done(state, "A")
    assert state.mm.users == 1 and state.mm.exiting and len([o for o in state.slab.objects if o.freed]) == 0
    state = _until_done(state, "B")
    freed_by = {o.freed.tid for o in state.slab.objects if o.freed is not None}
    assert state.mm.users == 0 and freed_by == {"B"}


def test_a_thread_back_in_user_space_dies_at_once_and_the_exiting_thread_tears_down(exit_and_munmap):
    state = _until_done(run(exit_and_munmap.initial("v4.8"), "K"), "B")
    state = _until_done(state, "A")
    assert state.mm.users == 0 and state.thread("B").status == "done"
    assert {o.freed.tid for o in state.slab.objects if o.freed is not None} == {"A", "B"}   # B's munmap, A's exit


def test_no_schedule_of_exit_and_munmap_frees_the_mm_under_a_user_and_v48_is_safe(exit_and_munmap):
    found = explore(EngineModel(exit_and_munmap.initial("v4.8")), parse_goal("any"))
    assert found.verdict == "safe"
