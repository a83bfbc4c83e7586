"""A scenario thread may make several system calls in order, as a real process does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import engine
from engine.errors import ScenarioError
from engine.explore import EngineModel, explore, parse_goal
from engine.variants import era_variants

X = 0x7f3a4a000000
SEQUENCE = f'''
[[threads]]
id = "A"
name = "munmap, then mmap"
calls = [
  {{ program = "vm_munmap", args = {{ start = {X:#x}, len = 0x200000 }} }},
  {{ program = "mmap_region", args = {{ addr = {X:#x}, len = 0x200000, file = "/home/user/data.bin", flags = ["VM_READ", "VM_SHARED"] }} }},
]
'''


def _with_thread_a(tmp_path: Path, thread_a: str) -> Path:
    """realloc-file with its thread A replaced by ``thread_a`` and nothing declared."""
    text = (Path(engine.__file__).parent / "scenarios" / "realloc-file.toml").read_text()
    head, _, rest = text.partition('[[threads]]\nid = "A"')
    _, _, after_a = rest.partition("[[threads]]")
    expect = "\n".join(f'"{v}" = {{}}' for v in era_variants("v4.8"))
    body = head + thread_a + "\n[[threads]]" + after_a.split("[expect]")[0] + "[expect]\n" + expect + "\n"
    path = tmp_path / "sequence.toml"
    path.write_text(body)
    return path


@pytest.fixture
def sequence(tmp_path):
    return engine.load(_with_thread_a(tmp_path, SEQUENCE))


def test_a_thread_runs_its_calls_one_after_another(sequence):
    state = engine.step(sequence.initial("v4.8"), "K")
    states = [state]
    while "A" in engine.enabled(states[-1]):
        states.append(engine.step(states[-1], "A"))
    a = states[-1].thread("A")
    assert a.status == "done" and a.returns == (0, 0) and a.result == 0
    texts = [e.text for st in states for e in st.last if e.kind in ("alloc", "free") and "vm_area_struct 0x" in e.text]
    assert [t.split(" vm_area_struct")[0] for t in texts] == ["munmap, then mmap frees",
                                                             "munmap, then mmap allocates"]
    assert "0xffff8800a1c4e000 (gen 2" in texts[1]


def test_the_second_call_starts_where_the_first_returns(sequence):
    state = engine.step(sequence.initial("v4.8"), "K")
    first = state.thread("A").frames[0].program.function
    while state.thread("A").frames[0].program.function == first:
        state = engine.step(state, "A")
    a = state.thread("A")
    assert a.frames[0].program.function == "mmap_region" and a.frames[0].pc == 0 and a.calls == ()


def test_the_story_holds_when_the_process_unmaps_and_maps_in_two_calls(sequence):
    found = explore(EngineModel(sequence.initial("v1-pointer-check")), parse_goal("null-deref"))
    assert found.verdict == "violation" and found.violation.thread == "K"
    proof = explore(EngineModel(sequence.initial("v4.8")), parse_goal("any"))
    assert proof.verdict == "safe"


@pytest.mark.parametrize("thread_a, message", [
    ('\n[[threads]]\nid = "A"\nname = "a"\n', "give either program (with args) or calls"),
    ('\n[[threads]]\nid = "A"\nname = "a"\nprogram = "vm_munmap"\ncalls = [{ program = "vm_munmap" }]\n',
     "give either program (with args) or calls"),
    ('\n[[threads]]\nid = "A"\nname = "a"\ncalls = [{ program = "mmap2" }]\n', "unknown program 'mmap2'"),
])
def test_a_thread_names_one_program_or_a_list_of_calls(tmp_path, thread_a, message):
    with pytest.raises(ScenarioError, match=re.escape(message)):
        engine.load(_with_thread_a(tmp_path, thread_a))
