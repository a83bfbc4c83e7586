"""After a failed isolate, v4.8 puts the pte table it cleared back with pmd_populate: when
that pmd had pointed to nothing, the kernel installs page 0 as a page table."""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from engine.explore import EngineModel, explore, parse_goal
from engine.variants import era_variants

X = 0x7f3a4a000000


@pytest.fixture
def emptied_range(tmp_path: Path) -> engine.Scenario:
    """realloc-anon, but the new mapping is 4 MiB and B faults in its second 2 MiB: the vma
    gets an anon_vma while the pmd khugepaged saved stays none."""
    text = (Path(engine.__file__).parent / "scenarios" / "realloc-anon.toml").read_text()
    text = text.replace("args = { addr = 0x7f3a4a000000, len = 0x200000 }",
                        "args = { addr = 0x7f3a4a000000, len = 0x400000 }")
    text = text.replace('args = { address = 0x7f3a4a003000, data = "new" }',
                        'args = { address = 0x7f3a4a203000, data = "new" }')
    head, _, _ = text.partition("[expect]")
    expect = "\n".join(f'"{v}" = {{}}' for v in era_variants("v4.8"))
    path = tmp_path / "emptied.toml"
    path.write_text(head + "[expect]\n" + expect + "\n")
    return engine.load(path)


def test_without_the_pmd_recheck_a_failed_isolate_installs_page_0_as_a_pte_table(emptied_range):
    found = explore(EngineModel(emptied_range.initial("v4.8-no-pmd-recheck")), parse_goal("pgtable-corruption"))
    assert found.verdict == "violation" and found.violation.thread == "K"
    assert "pmd_populate" in found.violation.report and "page 0" in found.violation.report
    assert "mm_find_pmd(mm, address) != pmd" in found.violation.check.text


def test_v48_rechecks_the_pmd_and_never_puts_back_a_table_that_is_not_there(emptied_range):
    assert explore(EngineModel(emptied_range.initial("v4.8")), parse_goal("any")).verdict == "safe"
