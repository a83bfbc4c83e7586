from engine.kernel import slab
from engine.kernel.slab import ALLOCATED, FREE, QUARANTINED, Site
from engine.kernel.vma import Vma

V1 = Vma(0x7F0000000000, 0x7F0000200000)
V2 = Vma(0x7F0000400000, 0x7F0000600000)
SITE = Site("A", "test")


def test_objects_have_stable_realistic_addresses_192_bytes_apart():
    s = slab.new_slab(3, quarantine=False)
    assert [o.addr for o in s.objects] == [0xFFFF8800A1C4E000, 0xFFFF8800A1C4E0C0, 0xFFFF8800A1C4E180]


def test_freed_object_is_the_next_one_allocated():
    s, a = slab.alloc(slab.new_slab(4, False), V1, SITE)
    s, b = slab.alloc(s, V1, SITE)
    s = slab.free(s, a, SITE)
    s, c = slab.alloc(s, V2, SITE)
    assert c == a and c != b
    assert s.get(c).gen == 2 and s.get(c).vma == V2 and s.get(c).state == ALLOCATED


def test_freelist_is_lifo_across_several_frees():
    s, a = slab.alloc(slab.new_slab(4, False), V1, SITE)
    s, b = slab.alloc(s, V2, SITE)
    s = slab.free(slab.free(s, a, SITE), b, SITE)
    assert s.freelist[:2] == (b, a)


def test_quarantine_delays_reuse():
    s, a = slab.alloc(slab.new_slab(2, True), V1, SITE)
    s = slab.free(s, a, SITE)
    s, c = slab.alloc(s, V2, SITE)
    assert c != a
    assert s.get(a).state == QUARANTINED and a not in s.freelist


def test_freed_object_keeps_its_old_contents_and_who_freed_it():
    s, a = slab.alloc(slab.new_slab(1, False), V1, SITE)
    s = slab.free(s, a, Site("B", "remove_vma"))
    assert s.get(a).state == FREE and s.get(a).vma == V1 and s.get(a).freed.tid == "B"


def test_cache_grows_when_the_freelist_is_empty():
    s, a = slab.alloc(slab.new_slab(0, False), V1, SITE)
    assert a == 0 and len(s.objects) == 1

