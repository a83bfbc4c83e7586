"""mmap(2): vm_mmap_pgoff → mmap_region (mm/mmap.c, v4.8), anonymous or file, MAP_FIXED.

mmap_region first unmaps whatever the range overlaps (do_munmap frees the old VMA: the
object goes to the freelist head), then allocates the new VMA with kmem_cache_zalloc (which
pops that same object), fills it in and links it: the 2016 KASAN report's two stacks.

Departures: no vma_merge (scenarios never place a mapping next to a compatible one);
get_unmapped_area is the caller's address (a hint that is free, or MAP_FIXED); a file
mapping's ->mmap only sets vm_ops; accounting and mlock left out.
"""

from __future__ import annotations

from engine.errors import ScenarioError
from engine.kernel import mm
from engine.kernel.vma import VM_FLAGS, Vma
from engine.program import Path, Program, Start, Step
from engine.programs.munmap import DO_MUNMAP
from engine.programs.syscall import locked
from engine.state import Ctx


def _clear(c: Ctx) -> None:
    start, end = c["addr"], c["addr"] + c["len"]
    if any(v.start < end and start < v.end for v in mm.vmas(c)):
        c.call(DO_MUNMAP, start=start, len=c["len"])


def _alloc(c: Ctx) -> None:
    file = c["file"] or None
    vma = Vma(c["addr"], c["addr"] + c["len"], tuple(sorted(c["flags"])), None, file,
              f"{'shmem' if file and file.startswith('/dev/shm') else 'ext4'}_file_vm_ops" if file else None,
              c["pgoff"])
    c["vma"] = mm.alloc_vma(c, vma, "mmap_region → kmem_cache_zalloc")


MMAP_REGION = locked("mmap_region", (
    Step("if (find_vma_links(mm, addr, addr + len, ...)) do_munmap(mm, addr, len);", _clear,
         "{me} unmaps whatever the new mapping overlaps", on_return=lambda c, v: None),
    Step("vma = kmem_cache_zalloc(vm_area_cachep, GFP_KERNEL); vma->vm_start = addr; vma->vm_end = addr + len; "
         "vma->vm_flags = vm_flags; vma->vm_file = file; /* file->f_op->mmap sets vm_ops */", _alloc,
         "{me} allocates and fills in the new vma"),
), ("addr", "len", "file", "flags", "pgoff"), __doc__ or "", callees=(DO_MUNMAP,))


def _defaults(args: dict, start: Start, tid: str, program: Program) -> dict:
    """An anonymous, read-write mapping at file offset 0 unless the scenario says otherwise;
    its flags must be ones the model knows (engine.kernel.vma.VM_FLAGS)."""
    args = {"file": None, "pgoff": 0, "flags": ("VM_READ", "VM_WRITE"), **args}
    unknown = [f for f in args["flags"] if f not in VM_FLAGS]
    if unknown:
        raise ScenarioError(f"thread {tid}: mmap_region flag {unknown[0]!r} is not one the model knows "
                            f"({', '.join(VM_FLAGS)})")
    return args


PATHS = (Path("mmap_region", MMAP_REGION, setup=_defaults, task=True),)
