"""Held-out exercises run on any scenario: every predict query and goal term, asked at random
states of every catalog scenario, answers or refuses with a sentence (ValueError), never crashes."""

from __future__ import annotations

import random

import pytest

import engine
from engine.exercises import goals, predict
from engine.exercises.goals import Attempt
from engine.explore import preemptions_along
from engine.schedule import Run

CATALOG = engine.catalog()
QUERIES = ["blocks_on({t})", "returns(down_read_trylock)", "trylock_result", "returns(collapse_huge_page)", "holders(mmap_sem)",
           "ptr_equal(vma, vma_orig)", "find_vma(X)", "outcome({t})", "unblocks({t})"]
TERMS = ["reach(any)", "reach(null-deref@collapse_huge_page)", "result({t})=SCAN_SUCCEED", "returned(find_vma)=0",
         "event({t}, down_read_trylock=0 while mmap_sem.writer=NULL)", "final(pmd[X])=huge",
         "final(vma_at(X).gen)=2", "final(find_vma(X).start)=0", "final(mmap_sem.readers)=NULL",
         "final(read(X))=nothing", "reach(any) & preemptions <= 1 & steps <= 10"]


def random_runs(scenario: engine.Scenario, seed: int) -> list[Run]:
    rng = random.Random(seed)
    runs = []
    for vid in scenario.variant_ids[:3]:
        for _ in range(4):
            run = Run((), (scenario.initial(vid),))
            for _ in range(rng.randrange(0, 70)):
                can = engine.enabled(run.final)
                if not can:
                    break
                run = engine.extend(run, (rng.choice(can),))
            runs.append(run)
    return runs


@pytest.mark.parametrize("sid", sorted(CATALOG))
def test_every_query_and_term_answers_or_says_why_on_any_state(sid):
    for run in random_runs(CATALOG[sid], len(sid)):
        tids = [t.tid for t in run.final.threads]
        for text in QUERIES:
            for t in tids:
                q = predict.parse_query(text.format(t=t))
                ids = {c.id for c in predict.choices(q, run, t)}
                assert ids and all(isinstance(i, str) for i in ids)
                if t in engine.enabled(run.final):
                    after = engine.extend(run, (t,))
                    try:
                        predict.answer(q, run, after, t)
                    except ValueError as e:
                        assert len(str(e)) > 20 and " " in str(e)          # a sentence for the load error
        attempt = Attempt(run, 0, preemptions_along(run))
        for text in TERMS:
            for term in goals.parse_goal(text.format(t=tids[0])):
                try:
                    why = term.check(attempt)
                except ValueError as e:                 # X in a scenario without khugepaged
                    assert "X is khugepaged's address" in str(e)
                    continue
                assert why is None or (isinstance(why, str) and why)
