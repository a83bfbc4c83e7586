"""Page tables: what a zap leaves of a table's drawn and undrawn ptes."""

import engine
from engine.kernel.pgtable import PRESENT, Pte, PteSummary, PteTable


def test_zapping_half_a_table_zaps_half_of_its_undrawn_ptes_and_the_drawn_ones_there():
    base = 0x7f0000000000
    table = PteTable(1, ((base, Pte(PRESENT, page=9)), (base + 0x100000, Pte(PRESENT, page=10))),
                     PteSummary(present=400, young=300, writable=200))
    half = table.zap(base, base + 0x100000, base + 0x200000)
    assert half.pte(base).kind == PRESENT and half.pte(base + 0x100000).kind == "none"
    # 510 undrawn slots, 255 of them in the zapped half
    assert half.rest == PteSummary(present=200, young=150, writable=100)
    assert half.counts()["present"] == 201


def test_zapping_outside_a_table_or_all_of_it():
    base = 0x7f0000000000
    table = PteTable(1, (), PteSummary(present=400, young=300, writable=400))
    assert table.zap(base, base + 0x200000, base + 0x400000) == table
    assert table.zap(base, 0, 1 << 47).counts() == {"present": 0, "swap": 0, "none": 512, "young": 0, "writable": 0}



def test_mremap_shrinking_a_range_to_half_leaves_half_of_its_ptes(scenarios):
    s = scenarios["mremap-shrink"]
    state = s.initial("v4.8")
    a = next(t.tid for t in state.threads if t.frames[0].program.function == "mremap")
    before = state.pte_tables[0].counts()["present"]
    state = engine.step(state, "K")
    while a in engine.enabled(state):
        state = engine.step(state, a)
    after = next(t for t in state.pte_tables if t.live).counts()["present"]
    assert 0 < after < before and abs(after - before / 2) <= 2
