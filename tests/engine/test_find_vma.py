import engine
from engine.kernel import mm
from engine.kernel.slab import ALLOCATED
from engine.state import Ctx


def ctx(scenarios, sid="realloc-file", variant="v4.8"):
    """realloc-file: V1 at 0x7f3a4a000000 and a libc mapping at 0x7f3a50000000."""
    state = scenarios[sid].initial(variant)
    return Ctx(state, "K")


def test_find_vma_returns_the_vma_containing_the_address(scenarios):
    c = ctx(scenarios)
    ptr = mm.find_vma(c, 0x7F3A4A001000)
    assert c.get("slab").get(ptr.ref).vma.start == 0x7F3A4A000000


def test_find_vma_may_return_a_vma_that_starts_above_the_address(scenarios):
    c = ctx(scenarios)
    ptr = mm.find_vma(c, 0x7F3A4A200000)
    assert c.get("slab").get(ptr.ref).vma.start == 0x7F3A50000000


def test_find_vma_returns_null_above_every_vma(scenarios):
    assert mm.find_vma(ctx(scenarios), 0x7F3A50200000) is None


def test_find_vma_uses_vm_end_exclusively(scenarios):
    c = ctx(scenarios)
    assert c.get("slab").get(mm.find_vma(c, 0x7F3A4A1FFFFF).ref).vma.start == 0x7F3A4A000000
    assert c.get("slab").get(mm.find_vma(c, 0x7F3A4A200000).ref).vma.start != 0x7F3A4A000000


def test_find_vma_returns_the_reused_object_when_munmap_frees_and_mmap_reallocates(scenarios):
    s = scenarios["munmap-reuse-above"]
    between = Ctx(engine.replay(s.initial("v4.8"), engine.parse_schedule("KA9")).final, "K")
    assert mm.find_vma(between, 0x7F3A4A000000) is None          # munmap done, nothing above
    run = engine.replay(s.initial("v4.8"), engine.parse_schedule("KA12"))
    c = Ctx(run.final, "K")
    ptr = mm.find_vma(c, 0x7F3A4A000000)
    obj = c.get("slab").get(ptr.ref)
    assert obj.vma.start == 0x7F3A4A400000 and obj.gen == 2 and obj.state == ALLOCATED
    assert ptr.addr == run.states[0].slab.get(ptr.ref).addr
