"""Walkthrough files: the shipped ones compile stop by stop, and a broken file is one sentence
naming the file, the chapter, the stop, the field and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from engine.directives import compile_run
from engine.exercises import predict
from engine.schedule import replay
from engine.walkthroughs import WalkthroughError, catalog, load, load_dir, model_anchors

SCENARIOS = engine.catalog()
SHIPPED = catalog(SCENARIOS)
HEAD = '''id = "w9"
title = "A test"
summary = "Two chapters."
minutes = 5

[[chapters]]
title = "The rwsem"
scenario = "rwsem-basics"
variant = "v4.8"
'''


def stop(run: str, extra: str = "", fact: str = "rwsem") -> str:
    return f'''
[[chapters.stops]]
title = "a stop"
run = "{run}"
narration = "What happens."
fact = "{fact}"
{extra}'''


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "w9.toml"
    path.write_text(text, "utf-8")
    return path


def test_the_three_walkthroughs_ship_and_every_stop_compiles():
    assert list(SHIPPED) == ["w1", "w2", "w3"]
    for w in SHIPPED.values():
        assert w.stops, w.id
        for s in w.stops:
            # the stop's state is its directives compiled from the state before it
            assert compile_run(s.before, s.spec.run).schedule == s.run.schedule
            assert replay(s.scenario.initial(s.variant), s.run.schedule).final == s.run.final
            assert s.spec.fact in model_anchors()


def test_stop_keys_are_chapter_and_position_and_unique():
    for w in SHIPPED.values():
        keys = [s.key for s in w.stops]
        assert len(set(keys)) == len(keys)
        for c in w.chapters:
            assert [s.key for s in c.stops] == [f"{c.number}.{n}" for n in range(1, len(c.stops) + 1)]


def test_every_poll_is_answered_by_taking_its_stops_steps():
    polls = [s for w in SHIPPED.values() for s in w.stops if s.predict]
    assert len(polls) >= 4
    for s in polls:
        q = s.predict
        assert q.answer == predict.answer(q.query, s.before, s.run, q.thread)
        assert q.answer in {c.id for c in q.choices}


def test_a_chapter_continues_from_the_stop_before_and_restart_starts_again(tmp_path):
    w = load(write(tmp_path, HEAD + stop("A") + stop("B!") + stop("C", "restart = true")), SCENARIOS)
    a, b, c = w.stops
    assert (a.took, b.took, c.took) == ("A", "B", "C")
    assert b.before.schedule == ("A",) and b.run.schedule == ("A", "B")
    assert c.before.schedule == () and c.run.schedule == ("C",)


def test_a_variant_switch_keeps_the_schedule(tmp_path):
    w = load(write(tmp_path, HEAD + stop("A B") + stop("", 'variant = "v1-pointer-check"')), SCENARIOS)
    first, switched = w.stops
    assert switched.variant == "v1-pointer-check" and switched.run.schedule == first.run.schedule
    assert switched.took == ""


def test_a_directive_that_cannot_be_met_names_file_chapter_stop_field_and_line(tmp_path):
    path = write(tmp_path, HEAD + stop("A") + stop("A>no_such_label"))
    with pytest.raises(WalkthroughError) as e:
        load(path, SCENARIOS)
    message = str(e.value)
    assert message.startswith(f"{path}: chapters.0.stops.1 (stop 1.2).run (line 19): A>no_such_label")


@pytest.mark.parametrize("extra, fact, field, says", [
    ("", "no-such-anchor", "fact", "docs/model.md has no anchor 'no-such-anchor'"),
    ('scenario = "nope"', "rwsem", "scenario", "no scenario 'nope'"),
    ('variant = "v9"', "rwsem", "variant", "v9"),
    ('predict = { thread = "C", query = "blocks_on(C)", choices = ["nothing"] }', "rwsem", "predict",
     "the answer, found by taking the step, is 'mmap_sem'"),
    ('predict = { thread = "Q", query = "blocks_on(C)" }', "rwsem", "predict", "thread Q is not a thread"),
    ('predict = { thread = "C", query = "colour(C)" }', "rwsem", "predict", "is not a predict query"),
])
def test_a_wrong_stop_field_is_named(tmp_path, extra, fact, field, says):
    path = write(tmp_path, HEAD + stop("A B") + stop("C", extra, fact))
    with pytest.raises(WalkthroughError) as e:
        load(path, SCENARIOS)
    assert f"(stop 1.2).{field}" in str(e.value) and says in str(e.value)


def test_a_schedule_that_does_not_replay_after_a_switch_is_named(tmp_path):
    text = HEAD.replace('scenario = "rwsem-basics"', 'scenario = "realloc-file"').replace('"v4.8"', '"v1-pointer-check"')
    path = write(tmp_path, text + stop("K!", fact="v1-pointer-check") + stop("", 'scenario = "rwsem-basics"'))
    with pytest.raises(WalkthroughError) as e:
        load(path, SCENARIOS)
    assert "(stop 1.2).scenario" in str(e.value) and "does not replay on rwsem-basics" in str(e.value)


@pytest.mark.parametrize("text, says", [
    (HEAD, "a chapter has stops, or says in coming what it waits for"),
    (HEAD + 'coming = "a scenario"\n' + stop("A"), "not both"),
    (HEAD + stop("", 'predict = { thread = "A", query = "blocks_on(A)" }'), "a predict stop's run is the step"),
    (HEAD + stop("A", 'panel = "sideways"'), "panel"),
    (HEAD.replace('id = "w9"', 'id = "w8"') + stop("A"), "must be the file's name"),
    (HEAD + stop("A") + "\nnonsense = 1\n", "nonsense"),
])
def test_a_malformed_file_is_one_sentence(tmp_path, text, says):
    with pytest.raises(WalkthroughError) as e:
        load(write(tmp_path, text), SCENARIOS)
    assert says in str(e.value)


def test_a_coming_chapter_has_no_stops_and_needs_no_scenario(tmp_path):
    text = HEAD + stop("A") + '''
[[chapters]]
title = "Later"
scenario = "not-built-yet"
variant = "v4.8"
coming = "needs the scenario not-built-yet."
'''
    w = load(write(tmp_path, text), SCENARIOS)
    assert [len(c.stops) for c in w.chapters] == [1, 0]


def test_an_unknown_stop_says_which_exist():
    w = SHIPPED["w3"]
    with pytest.raises(KeyError) as e:
        w.stop("9.99")
    assert "Walkthrough w3 has no stop '9.99'; its stops are 1.1–" in e.value.args[0]


def test_load_dir_orders_w2_before_w10(tmp_path):
    for n in (10, 2):
        (tmp_path / f"w{n}.toml").write_text(HEAD.replace('"w9"', f'"w{n}"') + stop("A"), "utf-8")
    assert list(load_dir(tmp_path, SCENARIOS)) == ["w2", "w10"]


def test_a_poll_with_more_choices_than_a_class_votes_on_must_pick_them(tmp_path):
    many = 'predict = { thread = "A", query = "holders(mmap_sem)" }'
    with pytest.raises(WalkthroughError, match=r"stop 1\.1\)\.predict .*11 choices, too many for a class"):
        load(write(tmp_path, HEAD + stop("A", many)), SCENARIOS)
    picked = 'predict = { thread = "A", query = "holders(mmap_sem)", choices = ["A", "B", "nobody"] }'
    w = load(write(tmp_path, HEAD + stop("A", picked)), SCENARIOS)
    assert [c.id for c in w.stops[0].predict.choices] == ["A", "B", "nobody"]


def test_an_unknown_stop_names_a_one_stop_chapter_once(tmp_path):
    second = '\n[[chapters]]\ntitle = "Two"\nscenario = "rwsem-basics"\nvariant = "v4.8"\n'
    w = load(write(tmp_path, HEAD + stop("A") + second + stop("A") + stop("B")), SCENARIOS)
    with pytest.raises(KeyError) as e:
        w.stop("9.99")
    assert e.value.args[0].endswith("its stops are 1.1, 2.1–2.2")
