import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine.directives import RUN_PATTERN, compile_run, is_directives
from engine.errors import ScheduleError

ids = st.sampled_from("KABCDEFGH")


@given(st.lists(ids, max_size=60))
def test_canonical_form_round_trips(tids):
    text = engine.format_schedule(tids)
    assert engine.parse_schedule(text) == tuple(tids)
    assert engine.parse_schedule("".join(tids)) == tuple(tids)


def test_run_length_form_expands():
    assert engine.parse_schedule("K3A3K") == tuple("KKKAAAK")
    assert engine.format_schedule(tuple("KKKAAAK")) == "K3A3K"


@pytest.mark.parametrize("text, message", [
    ("KX", "character 2 ('X') is not a thread id"),
    ("k", "character 1 ('k') is not a thread id"),
    ("K0", "count '0' after K must be a positive number"),
    ("K01", "must be a positive number without leading zeros"),
    ("K١٢", "character 2 ('١') is not a thread id"),      # Arabic-Indic digits are not a count
    ("K１２", "character 2 ('１') is not a thread id"),
])
def test_malformed_schedules_say_what_is_wrong(text, message):
    with pytest.raises(ScheduleError, match=message.replace("(", r"\(").replace(")", r"\)")):
        engine.parse_schedule(text)


def test_a_well_formed_schedule_too_long_to_replay_stops_at_the_step_after_the_last():
    with pytest.raises(ScheduleError, match="longer than 2000 steps") as e:
        engine.parse_schedule("A3K1999")
    assert e.value.step == 2001 and e.value.prefix == "A3K1997"


@given(st.from_regex(RUN_PATTERN))
@settings(max_examples=300, deadline=None)
def test_every_text_the_run_pattern_allows_is_read(text):
    """The description's pattern allows only what the parsers read: no syntax error."""
    assert _malformed(text) is None, f"{text!r}: {_malformed(text)}"


@given(st.text(alphabet="KACZk019!$> \t٢_x", max_size=12))
@settings(max_examples=500, deadline=None)
def test_every_text_the_parsers_read_is_in_the_run_pattern(text):
    why = _malformed(text)
    assert (re.fullmatch(RUN_PATTERN, text) is None) == (why is not None), f"{text!r}: {why or 'read'}"


def _malformed(text: str) -> str | None:
    """Why the parsers call ``text`` malformed, or None when they read it (a run that then
    stops replaying at a step was read)."""
    start = engine.catalog()["exit"].initial("v4.8")
    try:
        compile_run(engine.Run((), (start,)), text) if is_directives(text) else engine.parse_schedule(text)
    except ScheduleError as e:
        return str(e) if e.step == 0 else None
    return None


def test_replay_names_the_step_and_the_threads_that_could_run(scenarios):
    s = scenarios["realloc-file"]
    with pytest.raises(ScheduleError) as e:
        engine.replay(s.initial("v4.8"), engine.parse_schedule("K3A2"))
    assert e.value.step == 5 and e.value.enabled == ("C", "K") and e.value.prefix == "K3A"
    assert str(e.value) == ("step 5: thread A (mmap(MAP_FIXED, file)) is blocked, waiting for mmap_sem (write): "
                            "held by K (read); threads that could run: C, K")


def test_replay_rejects_an_unknown_thread(scenarios):
    with pytest.raises(ScheduleError, match="no thread B in this scenario"):
        engine.replay(scenarios["realloc-file"].initial("v4.8"), ("B",))


def test_replay_rejects_a_finished_thread(scenarios):
    s = scenarios["realloc-file"]
    with pytest.raises(ScheduleError, match="thread C .* has finished"):
        engine.replay(s.initial("v4.8"), engine.parse_schedule("C3"))


def test_replay_rejects_steps_after_a_violation(scenarios):
    s = scenarios["realloc-file"]
    with pytest.raises(ScheduleError, match="the run already ended at step 37 \\(null-deref\\)"):
        engine.replay(s.initial("v1-pointer-check"), engine.parse_schedule("K16A10C2K10"))


def test_step_zero_is_the_initial_state(scenarios):
    run = engine.replay(scenarios["realloc-file"].initial("v4.8"), ())
    assert len(run.states) == 1 and run.final.steps == 0


SCRIPT = """
import engine
from engine.explore import EngineModel, explore, parse_goal
s = engine.catalog()['munmap-reuse-above']
run = engine.replay(s.initial('v1-pointer-check'), engine.parse_schedule('C2K3AK19A9K'))
print(repr(run.final.violation), [engine.narrate(x) for x in run.states][-3:], run.final == run.final)
e = explore(EngineModel(s.initial('v1-pointer-check')), parse_goal('any'))
print(e.verdict, e.schedule, e.states, e.transitions)
"""


def test_replay_and_search_are_identical_across_processes_and_hash_seeds():
    outs = [subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"}).stdout
            for seed in ("0", "4242")]
    assert outs[0] == outs[1] and "use-after-free" in outs[0]
