"""Each oracle, with a "can happen" and a "never happens" twin."""

from dataclasses import replace

import pytest

import engine
from engine.explore import EngineModel, reachable_violations
from engine.kernel.locks import SPINLOCK, LockId, pmd_lock
from engine.kernel.rwsem import WRITE
from engine.program import Program, Step
from engine.state import Ctx, Frame, Thread, step


def run(scenarios, sid, variant, schedule):
    return engine.replay(scenarios[sid].initial(variant), engine.parse_schedule(schedule)).final


def reachable(scenarios, sid, variant):
    complete, found = reachable_violations(EngineModel(scenarios[sid].initial(variant)), max_states=100_000)
    assert complete
    return set(found)


CASES = [
    # (kind key, scenario, variant that breaks, witness, text the report must contain)
    ("null-deref", "realloc-file", "v1-pointer-check", "K16A10C2K9", "NULL pointer dereference"),
    ("use-after-free:vm_area_struct", "realloc-anon-kasan", "v4.8-rc-stale-vma", None, "BUG: KASAN: use-after-free"),
    ("use-after-free:page-table", "swapin-retry-pmd", "v1-pointer-check", None, "pmd table page"),
    ("huge-pmd-outside-vma", "mremap-shrink", "v4.8-no-address-range", None, "not inside one VMA"),
    ("thp-in-ineligible-vma", "madvise-nohugepage", "v4.8-no-vma-check", None, "VM_NOHUGEPAGE"),
    ("rwsem-imbalance", "realloc-file", "v1-pointer-check", None, "bad unlock balance"),
    ("bug-on", "pmd-became-huge", "v4.8-no-pmd-recheck", None, "VM_BUG_ON(pmd_trans_huge(*pmdp))"),
]


@pytest.mark.parametrize("key, sid, variant, witness, text", CASES)
def test_oracle_can_happen(scenarios, key, sid, variant, witness, text):
    schedule = witness or scenarios[sid].spec.expect[variant][key]
    final = run(scenarios, sid, variant, schedule)
    kind, _, obj = key.partition(":")
    assert final.violation is not None and final.violation.kind == kind
    assert final.violation.object == (obj or None)
    assert text in final.violation.report + final.violation.message
    assert final.violation.check, "every report names the check that would have caught it"
    assert engine.enabled(final) == ()


@pytest.mark.parametrize("key, sid, variant, witness, text", CASES)
def test_oracle_never_happens_in_v48(scenarios, key, sid, variant, witness, text):
    assert key in reachable(scenarios, sid, variant)
    assert reachable(scenarios, sid, "v4.8") == set()


def test_v1_pointer_check_passes_on_the_same_slab_address_before_the_null_deref(scenarios):
    s = scenarios["realloc-file"]
    states = engine.replay(s.initial("v1-pointer-check"), engine.parse_schedule("K16A10C2K9")).states
    texts = [e.text for st in states for e in st.last]
    passed = [t for t in texts if "the pointer check passes" in t]
    assert passed and "0xffff8800a1c4e000" in passed[0]
    final = states[-1]
    k = final.thread("K")
    vma = k.top.get("vma")
    assert vma.gen == 1 and final.slab.get(vma.ref).gen == 2
    assert final.slab.get(vma.ref).vma.file == "/home/user/data.bin"
    assert "anon_vma_lock_write" in final.violation.message


def test_same_story_on_v48_is_caught_by_the_revalidation(scenarios):
    state = scenarios["realloc-file"].initial("v4.8")
    codes = []
    for tid in "KACK":
        while tid in engine.enabled(state):
            state = step(state, tid)
            codes += [e.code for e in state.last if e.kind == "scan-result" and e.code]
    assert state.violation is None
    assert codes == ["SCAN_VMA_CHECK"]
    assert state.thread("K").status == "done" and state.thread("K").result == "SCAN_FAIL"


def test_stale_pointer_to_a_reused_object_goes_unnoticed_without_quarantine(scenarios):
    assert reachable(scenarios, "realloc-anon", "v4.8-rc-stale-vma") == set()
    assert "use-after-free:vm_area_struct" in reachable(scenarios, "realloc-anon-kasan", "v4.8-rc-stale-vma")


def _spinlock(name):
    return LockId(name, SPINLOCK, "ptl")


def _two_lock_state(scenarios, order_a, order_b):
    """A state whose threads A and B take two spinlocks in the given orders."""
    def program(name, first, second):
        return Program(name, "v4.8", "test", (), (
            Step(f"spin_lock({first});", lambda c: c.acquire(_spinlock(first), WRITE), lock_op=True),
            Step(f"spin_lock({second});", lambda c: c.acquire(_spinlock(second), WRITE), lock_op=True),
            Step(f"spin_unlock({second});", lambda c: c.release(_spinlock(second), WRITE), lock_op=True),
            Step(f"spin_unlock({first}); return 0;",
                 lambda c: (c.release(_spinlock(first), WRITE), c.ret(0)), lock_op=True),
        ))
    base = scenarios["rwsem-basics"].initial("v4.8")
    threads = (Thread("A", "first", (Frame(program("a", *order_a), 0),)),
               Thread("B", "second", (Frame(program("b", *order_b), 0),)))
    return replace(base, threads=threads, locks=())


def test_deadlock_is_reported_with_the_wait_cycle(scenarios):
    s = _two_lock_state(scenarios, ("x", "y"), ("y", "x"))
    final = engine.replay(s, ("A", "B", "A", "B")).final
    assert final.violation.kind == "deadlock"
    assert "A" in final.violation.report and "held by B" in final.violation.report


def test_same_lock_order_never_deadlocks(scenarios):
    complete, found = reachable_violations(EngineModel(_two_lock_state(scenarios, ("x", "y"), ("x", "y"))),
                                           max_states=1000)
    assert complete and found == {}


def test_lost_data_is_reported_when_a_collapse_would_drop_contents(scenarios):
    from engine import oracles
    c = Ctx(scenarios["realloc-file"].initial("v4.8"), "K")
    with pytest.raises(Exception):
        oracles.check_copy(c, {0x1000: "world"}, {}, "isolate")
    assert c.violation.kind == "lost-data" and "world" in c.violation.report


def test_lost_data_is_silent_when_every_byte_survives(scenarios):
    from engine import oracles
    c = Ctx(scenarios["realloc-file"].initial("v4.8"), "K")
    oracles.check_copy(c, {0x1000: "world", 0x2000: None}, {0x1000: "world"}, "isolate")
    assert c.violation is None


def test_releasing_a_spinlock_not_held_is_lock_not_held(scenarios):
    c = Ctx(scenarios["realloc-file"].initial("v4.8"), "K")
    with pytest.raises(Exception):
        c.release(pmd_lock(0x1), WRITE)
    assert c.violation.kind == "lock-not-held"


def test_releasing_a_held_spinlock_is_fine(scenarios):
    c = Ctx(scenarios["realloc-file"].initial("v4.8"), "K")
    assert c.acquire(pmd_lock(0x1), WRITE)
    c.release(pmd_lock(0x1), WRITE)
    assert c.violation is None


def test_the_pmdp_collapse_flush_bug_is_the_generic_debug_vm_check(scenarios):
    s = scenarios["pmd-became-huge"]
    final = engine.replay(s.initial("v4.8-no-pmd-recheck"), engine.parse_schedule(s.spec.expect["v4.8-no-pmd-recheck"]["bug-on"])).final
    assert "kernel BUG at mm/pgtable-generic.c: VM_BUG_ON(pmd_trans_huge(*pmdp)) (CONFIG_DEBUG_VM)" in final.violation.report


def test_a_plain_bug_on_names_its_own_file_and_needs_no_debug_kernel(scenarios):
    from engine import fixes, oracles
    c = Ctx(scenarios["realloc-file"].initial("v4.8"), "K")
    with pytest.raises(Exception):
        oracles.bug_on(c, "BUG_ON(!pmd_none(*pmd))", "collapse_huge_page", "the pmd is not none", fixes.PMD_RECHECK)
    assert "kernel BUG at mm/khugepaged.c: BUG_ON(!pmd_none(*pmd))\n" in c.violation.report + "\n"
    assert "CONFIG_DEBUG_VM" not in c.violation.report
