"""A scenario given as text (the editor's, a link's) loads exactly as its file does, and its
mistakes say where, one by one; a thread whose arguments do not fit is an error, not a crash."""

from __future__ import annotations

import re

import pytest

import engine
from engine.errors import Mistake, ScenarioError

FILE = engine.catalog()["realloc-file"].path
TEXT = FILE.read_text()


def test_a_text_loads_as_its_file_with_the_same_digests():
    text, file = engine.loads(TEXT, "realloc-file.toml"), engine.load(FILE)
    assert (text.spec, text.digest, text.file_hash) == (file.spec, file.digest, file.file_hash)
    assert text.link_digest("v4.8") == file.link_digest("v4.8") and text.source == file.source == ""


def test_each_mistake_names_its_line_and_field():
    broken = TEXT.replace('program = "mmap_region"', 'program = "mmap_regoin"').replace('id = "A"', 'id = "AA"')
    with pytest.raises(ScenarioError) as e:
        engine.loads(broken, "mine.toml")
    rows = broken.splitlines()
    id_line, program_line = rows.index('id = "AA"') + 1, rows.index('program = "mmap_regoin"') + 1
    assert [(m.line, m.field) for m in e.value.mistakes] == [(id_line, "threads[1].id"),
                                                             (program_line, "threads[1].program")]
    assert e.value.mistakes[1].where == f"line {program_line}, threads[1].program"
    assert str(e.value).startswith("mine.toml: threads.1.id (line ")      # the file's message, as before


def test_invalid_toml_and_a_rule_of_the_whole_file_are_mistakes_too():
    with pytest.raises(ScenarioError) as e:
        engine.loads(TEXT.replace("version = 1", "version = = 1"), "mine.toml")
    assert e.value.mistakes[0].line == 3 and e.value.mistakes[0].where == "line 3"
    assert Mistake(0, (), "x").where == ""


def test_a_thread_without_its_arguments_is_a_scenario_error_when_its_line_runs():
    s = engine.loads(re.sub(r"args = \{ addr = [^\n]*\}", "args = {}", TEXT, count=1), "mine.toml")
    with pytest.raises(engine.ScheduleError, match=r"step 18, thread A in mmap_region\(\): .*no argument 'addr'") as e:
        engine.replay(s.initial("v1-pointer-check"), engine.parse_schedule("K16A2"))
    assert e.value.prefix == "K16A" and e.value.step == 18


def test_a_setup_without_its_arguments_is_refused_when_the_file_loads():
    text = TEXT.replace("args = { address = 0x7f3a4a000000, referenced = 300 }", "args = {}")
    with pytest.raises(ScenarioError, match=r"thread K \(collapse_huge_page\): .*no argument 'address'"):
        engine.loads(text, "mine.toml")
