"""The vm_area_struct slab cache: stable object addresses, generations, LIFO reuse.

SLUB's per-CPU fast path pushes a freed object on the freelist head and allocation pops
the head, so the next vm_area_struct allocated on this CPU is the one just freed
(docs/model.md#slab-reuse).  With ``quarantine`` (KASAN) a freed object is parked instead and
never handed out again within a run, which turns silent reuse into a use-after-free report.

Departure: one CPU and one slab page; objects beyond the initial ones are appended (a new
slab page would sit elsewhere in memory, which changes nothing the model shows).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from engine.kernel.vma import Vma

VMA_CACHE = "vm_area_struct"
VMA_OBJECT_SIZE = 192
SLAB_BASE = 0xFFFF8800A1C4E000

FREE, ALLOCATED, QUARANTINED = "free", "allocated", "quarantined"


@dataclass(frozen=True, slots=True)
class Site:
    """Where an object was allocated or freed: the task and the kernel call chain."""

    tid: str
    stack: str


@dataclass(frozen=True, slots=True)
class SlabObject:
    """One vm_area_struct object.  ``gen`` counts its allocations (0: never used);
    ``vma`` is its contents, kept after a free so the UI can say what it was."""

    index: int
    gen: int = 0
    state: str = FREE
    vma: Vma | None = None
    allocated: Site | None = None
    freed: Site | None = None

    @property
    def addr(self) -> int:
        return object_addr(self.index)


@dataclass(frozen=True, slots=True)
class Slab:
    objects: tuple[SlabObject, ...]
    freelist: tuple[int, ...]          # head first: the next allocation takes freelist[0]
    quarantine: bool = False

    def get(self, index: int) -> SlabObject:
        return self.objects[index]


def object_addr(index: int) -> int:
    return SLAB_BASE + index * VMA_OBJECT_SIZE


def new_slab(size: int, quarantine: bool, order: tuple[int, ...] = ()) -> Slab:
    """A slab of ``size`` never-used objects; the freelist hands them out in ``order`` (a
    permutation of their indices; address order if empty)."""
    objects = tuple(SlabObject(i) for i in range(size))
    assert not order or sorted(order) == list(range(size)), order
    return Slab(objects, tuple(order) or tuple(range(size)), quarantine)


def alloc(slab: Slab, vma: Vma, site: Site) -> tuple[Slab, int]:
    """kmem_cache_alloc: pop the freelist head (growing the cache if it is empty)."""
    if slab.freelist:
        index, freelist = slab.freelist[0], slab.freelist[1:]
    else:
        index, freelist = len(slab.objects), ()
        slab = replace(slab, objects=slab.objects + (SlabObject(index),))
    old = slab.objects[index]
    obj = replace(old, gen=old.gen + 1, state=ALLOCATED, vma=vma, allocated=site, freed=None)
    return _put(replace(slab, freelist=freelist), obj), index


def free(slab: Slab, index: int, site: Site) -> Slab:
    """kmem_cache_free: push on the freelist head, or park in the KASAN quarantine."""
    obj = slab.objects[index]
    assert obj.state == ALLOCATED, f"double free of vm_area_struct {obj.addr:#x}"
    if slab.quarantine:
        return _put(slab, replace(obj, state=QUARANTINED, freed=site))
    slab = replace(slab, freelist=(index,) + slab.freelist)
    return _put(slab, replace(obj, state=FREE, freed=site))


def update(slab: Slab, index: int, vma: Vma) -> Slab:
    """Write new contents into an allocated object (vma_adjust, madvise ...)."""
    obj = slab.objects[index]
    assert obj.state == ALLOCATED, f"write to free vm_area_struct {obj.addr:#x}"
    return _put(slab, replace(obj, vma=vma))


def _put(slab: Slab, obj: SlabObject) -> Slab:
    objects = slab.objects[:obj.index] + (obj,) + slab.objects[obj.index + 1:]
    return replace(slab, objects=objects)
