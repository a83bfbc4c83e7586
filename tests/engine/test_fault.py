"""Page faults by VMA type and access (v4.8 handle_mm_fault): who gets an anon_vma, what is
mapped, and when the fault is a SIGSEGV.  Every rule has its "can happen" twin."""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from engine.variants import era_variants

ANON, SHARED, PRIVATE, READONLY, NOREAD = 0x7f0000000000, 0x7f0000400000, 0x7f0000800000, 0x7f0000c00000, 0x7f0001000000
SMALL = 0x7f0001400000    # 64 KiB: no aligned 2 MiB inside, so never a huge page
VMAS = f'''
[[vmas]]
start = {SMALL:#x}
end = {SMALL + 0x10000:#x}
anon_vma = false

[[vmas]]
start = {ANON:#x}
end = {ANON + 0x200000:#x}
anon_vma = false

[[vmas]]
start = {SHARED:#x}
end = {SHARED + 0x200000:#x}
flags = ["VM_READ", "VM_SHARED", "VM_WRITE"]
anon_vma = false
file = "/data/shared.bin"

[[vmas]]
start = {PRIVATE:#x}
end = {PRIVATE + 0x200000:#x}
flags = ["VM_READ", "VM_WRITE"]
anon_vma = false
file = "/data/private.bin"

[[vmas]]
start = {READONLY:#x}
end = {READONLY + 0x200000:#x}
flags = ["VM_READ"]
anon_vma = false

[[vmas]]
start = {NOREAD:#x}
end = {NOREAD + 0x200000:#x}
flags = []
anon_vma = false
'''


def _scenario(tmp_path: Path, address: int, write: bool, fault_huge: bool) -> engine.Scenario:
    expect = "\n".join(f'"{v}" = {{}}' for v in era_variants("v4.8"))
    text = f'''id = "fault-rule"
version = 1
title = "one fault"
question = "what does the fault do?"
kernel = "v4.8"
seed = "-"
note = "-"

[options]
fault_huge = {str(fault_huge).lower()}
{VMAS}
[[threads]]
id = "A"
name = "fault"
program = "handle_mm_fault"
args = {{ address = {address:#x}, data = "hi", write = {str(write).lower()} }}

[[threads]]
id = "B"
name = "khugepaged's scan"
program = "khugepaged_scan_mm_slot"

[expect]
{expect}
'''
    path = tmp_path / "fault.toml"
    path.write_text(text)
    return engine.load(path)


def _fault(tmp_path, address, write, fault_huge=False):
    state = _scenario(tmp_path, address, write, fault_huge).initial("v4.8")
    before = state
    while "A" in engine.enabled(state):
        state = engine.step(state, "A")
    vma = next(o.vma for o in state.slab.objects if o.vma is not None and o.vma.start <= address < o.vma.end)
    return before, state, vma


def test_a_write_to_a_vma_without_vm_write_is_a_sigsegv_and_changes_nothing(tmp_path):
    before, after, vma = _fault(tmp_path, READONLY, write=True)
    assert after.thread("A").result == "VM_FAULT_SIGSEGV"
    assert (after.slab, after.pte_tables, after.pages) == (before.slab, before.pte_tables, before.pages)


def test_a_read_of_a_read_only_vma_is_allowed(tmp_path):
    _, after, vma = _fault(tmp_path, READONLY, write=False)
    assert after.thread("A").result == 0 and after.read_user(READONLY) == ""


def test_a_read_of_a_vma_without_vm_read_is_a_sigsegv(tmp_path):
    _, after, _ = _fault(tmp_path, NOREAD, write=False)
    assert after.thread("A").result == "VM_FAULT_SIGSEGV"


@pytest.mark.parametrize("fault_huge", [True, False])
def test_an_anonymous_read_at_the_pte_level_maps_the_zero_page_without_an_anon_vma(tmp_path, fault_huge):
    _, after, vma = _fault(tmp_path, SMALL + 0x1000, write=False, fault_huge=fault_huge)
    assert vma.anon_vma is None and after.read_user(SMALL + 0x1000) == ""


@pytest.mark.parametrize("fault_huge", [True, False])
def test_an_anonymous_write_at_the_pte_level_gives_the_vma_an_anon_vma(tmp_path, fault_huge):
    _, after, vma = _fault(tmp_path, SMALL + 0x1000, write=True, fault_huge=fault_huge)
    assert vma.anon_vma is not None and after.read_user(SMALL + 0x1000) == "hi"


@pytest.mark.parametrize("fault_huge", [True, False], ids=["huge-zero-page", "huge-allocation-fails"])
def test_the_huge_path_gives_an_anon_vma_even_to_a_read(tmp_path, fault_huge):
    _, after, vma = _fault(tmp_path, ANON, write=False, fault_huge=fault_huge)
    assert vma.anon_vma is not None
    pmd = next(t for t in after.pmd_tables if t.live).entry(ANON)
    assert (pmd.kind == "huge") == fault_huge


def test_a_write_to_a_shared_file_mapping_never_gives_an_anon_vma(tmp_path):
    _, after, vma = _fault(tmp_path, SHARED, write=True, fault_huge=True)
    assert vma.anon_vma is None and after.read_user(SHARED) == "hi"


def test_a_read_of_a_file_mapping_maps_its_page_without_an_anon_vma(tmp_path):
    _, after, vma = _fault(tmp_path, PRIVATE, write=False, fault_huge=True)
    assert vma.anon_vma is None and after.thread("A").result == 0


def test_a_write_to_a_private_file_mapping_copies_on_write_with_an_anon_vma(tmp_path):
    _, after, vma = _fault(tmp_path, PRIVATE, write=True, fault_huge=True)
    assert vma.anon_vma is not None and after.read_user(PRIVATE) == "hi"
    pmd = next(t for t in after.pmd_tables if t.live).entry(PRIVATE)
    assert pmd.kind == "table", "a file vma never gets a huge page at fault time"


def test_a_new_anon_vma_never_takes_the_id_of_an_initial_one(scenarios):
    """Two anon_vmas with one id would share one anon_vma lock."""
    state = scenarios["realloc-anon"].initial("v4.8")
    initial = {state.slab.get(i).vma.anon_vma for i in state.mm.vmas} - {None}
    assert state.next_anon_vma > max(initial, default=0)
