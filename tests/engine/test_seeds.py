"""Seeded instances move addresses and reorder the slab, and change nothing a schedule does."""

from __future__ import annotations

import pytest

import engine
from engine import exercises as ex
from engine.claims import verify
from engine.errors import ScenarioError
from engine.schedule import parse_schedule
from engine.seeds import GIB, offset, slab_order

CATALOG = engine.catalog()
WITNESSES = [(sid, vid, key, w) for sid, s in CATALOG.items() for vid, declared in s.spec.expect.items()
             for key, w in declared.items()]


def test_a_seed_moves_every_address_by_whole_gigabytes_and_reorders_the_slab():
    s = CATALOG["realloc-file"]
    t = s.seeded(5)
    assert offset(5) % GIB == 0 and offset(5) > 0 and offset(0) == 0
    assert [v.start - w.start for v, w in zip(t.spec.vmas, s.spec.vmas)] == [offset(5)] * len(s.spec.vmas)
    assert t.spec.threads[0].args["address"] == s.spec.threads[0].args["address"] + offset(5)
    assert t.spec.threads[1].args["len"] == s.spec.threads[1].args["len"]          # a length is not an address
    first, other = s.initial("v4.8"), t.initial("v4.8")
    assert sorted(other.mm.vmas + other.slab.freelist) == sorted(first.mm.vmas + first.slab.freelist)
    assert other.mm.vmas + other.slab.freelist != first.mm.vmas + first.slab.freelist
    assert sorted(slab_order(5, 4)) == list(slab_order(0, 4)) == [0, 1, 2, 3]
    assert t.digest != s.digest and t.behaviour == s.digest and t.link_digest("v4.8") == s.link_digest("v4.8")
    assert s.seeded(0) is s and t.ref("v4.8").seed == 5


def test_seeds_are_bounded_and_made_from_the_file():
    with pytest.raises(ScenarioError, match="a seed is 0 to 9999"):
        CATALOG["exit"].seeded(10_000)
    with pytest.raises(ScenarioError, match="seed the scenario as loaded"):
        CATALOG["exit"].seeded(2).seeded(3)


@pytest.mark.parametrize("sid, vid, key, witness", WITNESSES, ids=[f"{w[0]}-{w[1]}-{w[2]}" for w in WITNESSES])
def test_every_declared_witness_does_the_same_under_a_seed(sid, vid, key, witness):
    for seed in (1, 42):
        run = engine.replay(CATALOG[sid].seeded(seed).initial(vid), parse_schedule(witness))
        v = run.final.violation
        assert v is not None and key in (v.kind, f"{v.kind}:{v.object}"), (seed, v)


@pytest.mark.parametrize("sid", ["realloc-file", "munmap-reuse-above", "mremap-shrink", "rwsem-basics"])
def test_a_seeded_instance_keeps_every_declared_verdict(sid):
    claims = verify(CATALOG[sid].seeded(7))
    assert [c.status for c in claims] == ["ok"] * len(claims), [c.message for c in claims if c.status != "ok"]


def test_every_exercise_reference_passes_in_a_seeded_instance():
    verdicts = ex.Computed()
    for x in ex.catalog(CATALOG).values():
        y = ex.seeded(x, 11, CATALOG)
        for part in y.parts:
            if part.kind == "fix":
                continue
            assert ex.grade(part, ex.as_written(part, part.spec.answer), verdicts).passed, part.name
            assert part.scenario.seed == 11
