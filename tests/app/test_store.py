"""Check sets kept on disk: found again by a restarted server, never by a changed scenario,
engine or bound, and never when a clock cut them."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

import engine
from app import store as store_module
from app.search import Searches
from app.store import Store, default_dir
from engine.checks import check_sets
from engine.exercises import catalog as exercise_catalog, prove_parts, verdict_key

CATALOG = engine.catalog()


@pytest.fixture(scope="module")
def rwsem_sets():
    return check_sets(CATALOG["rwsem-basics"])


def test_a_kept_answer_is_found_by_the_same_scenario_engine_and_bound(tmp_path, rwsem_sets):
    s = CATALOG["rwsem-basics"]
    Store(tmp_path).put(s, 200000, rwsem_sets)
    assert Store(tmp_path).get(s, 200000) == rwsem_sets
    assert Store(tmp_path).get(s, 1000) is None                       # another bound


def test_a_changed_scenario_or_engine_never_reads_an_old_answer(tmp_path, rwsem_sets, monkeypatch):
    s = CATALOG["rwsem-basics"]
    Store(tmp_path).put(s, 200000, rwsem_sets)
    assert Store(tmp_path).get(replace(s, digest="0123456789"), 200000) is None
    monkeypatch.setattr(store_module, "engine_hash", lambda: "another-engine")
    assert Store(tmp_path).get(s, 200000) is None


def test_answers_a_clock_cut_are_not_kept_and_a_broken_file_is_removed(tmp_path, rwsem_sets):
    s = CATALOG["rwsem-basics"]
    cut = replace(rwsem_sets, results=(replace(rwsem_sets.results[0], status="unknown", bound="time"),)
                  + rwsem_sets.results[1:])
    Store(tmp_path).put(s, 200000, cut)
    assert list(tmp_path.iterdir()) == []
    Store(tmp_path).put(s, 200000, rwsem_sets)
    (kept,) = tmp_path.iterdir()
    kept.write_bytes(b"not a pickle")
    assert Store(tmp_path).get(s, 200000) is None and not kept.exists()


def test_a_restarted_server_has_the_answers_at_once(tmp_path):
    s = CATALOG["rwsem-basics"]
    first = Searches(store=tmp_path)
    try:
        assert first.check_sets(s) is None                              # computing
        end = time.monotonic() + 60
        while first.check_sets(s) is None and time.monotonic() < end:
            time.sleep(0.2)
        assert first.check_sets(s) is not None
    finally:
        first.close()
    second = Searches(store=tmp_path)
    try:
        assert second.check_sets(s) is not None and second._background is None   # no job, no worker
    finally:
        second.close()


def test_the_folder_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MMLOCK_CACHE_DIR", str(tmp_path / "x"))
    assert default_dir() == tmp_path / "x"
    monkeypatch.delenv("MMLOCK_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_dir() == tmp_path / "xdg" / "mmlock"


def test_of_two_processes_sharing_a_folder_one_warms(tmp_path):
    first, second = Store(tmp_path), Store(tmp_path)
    assert first.claim_warming() and first.claim_warming()
    assert not second.claim_warming()
    assert Store(None).claim_warming()


def test_a_prove_exercises_verdict_is_computed_in_the_background_and_kept(tmp_path):
    part = prove_parts(exercise_catalog(CATALOG))[0]
    searches = Searches(store=tmp_path)
    try:
        assert searches.prove(part) is None                  # started, not ready: the grader says "pending"
        deadline = time.monotonic() + 120
        while searches.prove(part) is None and time.monotonic() < deadline:
            time.sleep(0.2)
        found = searches.prove(part)
        assert found is not None and found.bound is None
    finally:
        searches.close()
    assert Store(tmp_path).get_proof(verdict_key(part)) == found     # a restarted server has it at once
