"""madvise(MADV_NOHUGEPAGE) honours its range (v4.8): splits, holes, several VMAs."""

from __future__ import annotations

from pathlib import Path

import engine
from engine.kernel.slab import ALLOCATED
from engine.variants import era_variants

M = 0x200000
LOW, HIGH = 0x7f0000000000, 0x7f0000000000 + 2 * M   # [LOW, LOW+2M) and [HIGH, HIGH+2M): a hole between
NEXT = HIGH + 2 * M                                   # [NEXT, NEXT+2M) starts where HIGH ends


def _madvise(tmp_path: Path, start: int, length: int):
    vmas = "".join(f"\n[[vmas]]\nstart = {a:#x}\nend = {a + 2 * M if a != LOW else a + M:#x}\n"
                   for a in (LOW, HIGH, NEXT))
    expect = "\n".join(f'"{v}" = {{}}' for v in era_variants("v4.8"))
    (tmp_path / "m.toml").write_text(f'''id = "madvise-rule"
version = 1
title = "one madvise"
question = "what does madvise change?"
kernel = "v4.8"
seed = "-"
note = "-"
{vmas}
[[threads]]
id = "A"
name = "madvise"
program = "madvise"
args = {{ start = {start:#x}, len = {length:#x} }}

[[threads]]
id = "B"
name = "scan"
program = "khugepaged_scan_mm_slot"

[expect]
{expect}
''')
    state = engine.load(tmp_path / "m.toml").initial("v4.8")
    before = state
    while "A" in engine.enabled(state):
        state = engine.step(state, "A")
    return before, state


def _layout(state):
    """(start, end, has VM_NOHUGEPAGE, slab index) of every live VMA, by address."""
    slab = state.slab
    return [(slab.get(i).vma.start, slab.get(i).vma.end, slab.get(i).vma.has("VM_NOHUGEPAGE"), i)
            for i in state.mm.vmas if slab.get(i).state == ALLOCATED]


def test_a_range_inside_a_vma_splits_it_and_marks_only_the_middle(tmp_path):
    before, after = _madvise(tmp_path, HIGH + M // 2, M)
    high = next(i for s, e, _, i in _layout(before) if s == HIGH)
    layout = _layout(after)
    assert [(s, e, nohuge) for s, e, nohuge, _ in layout if HIGH <= s < NEXT] == [
        (HIGH, HIGH + M // 2, False), (HIGH + M // 2, HIGH + 3 * M // 2, True), (HIGH + 3 * M // 2, HIGH + 2 * M, False)]
    middle = next(i for s, _, _, i in layout if s == HIGH + M // 2)
    assert middle == high, "the old object keeps the part in the range; the parts outside are new objects"
    assert after.thread("A").result == 0


def test_a_range_covering_a_whole_vma_changes_that_object_and_allocates_none(tmp_path):
    before, after = _madvise(tmp_path, HIGH, 2 * M)
    assert len(_layout(after)) == len(_layout(before))
    assert [nohuge for s, _, nohuge, _ in _layout(after)] == [False, True, False]
    assert after.thread("A").result == 0


def test_a_range_in_a_hole_changes_nothing_and_returns_enomem(tmp_path):
    before, after = _madvise(tmp_path, LOW + M, M)
    assert _layout(after) == _layout(before) and after.thread("A").result == -12


def test_a_range_over_two_vmas_and_a_hole_changes_both_and_returns_enomem(tmp_path):
    _, after = _madvise(tmp_path, LOW, 3 * M)
    marked = [(s, e) for s, e, nohuge, _ in _layout(after) if nohuge]
    assert marked == [(LOW, LOW + M), (HIGH, HIGH + M)]
    assert after.thread("A").result == -12


def test_a_range_over_two_adjacent_vmas_changes_both_and_succeeds(tmp_path):
    _, after = _madvise(tmp_path, HIGH, 4 * M)
    assert [(s, nohuge) for s, _, nohuge, _ in _layout(after)] == [(LOW, False), (HIGH, True), (NEXT, True)]
    assert after.thread("A").result == 0
