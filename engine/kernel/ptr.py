"""Kernel pointers held in locals: a value, what it points to, and when it was taken."""

from __future__ import annotations

from dataclasses import dataclass

VM_AREA_STRUCT, PMD = "vm_area_struct", "pmd"


@dataclass(frozen=True, slots=True)
class Ptr:
    """A kernel pointer held in a local: its value, what it points to, and the generation
    the object had when the pointer was taken (the object's own may have moved on).

    ``kind`` is ``vm_area_struct`` (``ref`` = slab index) or ``pmd`` (``ref`` = pfn of the
    pmd table page holding the entry).  Pointer comparison in the kernel compares ``addr``
    only, which is the whole point of the story.
    """

    kind: str
    addr: int
    ref: int
    gen: int

    def __str__(self) -> str:
        return f"{self.addr:#x}"


def compared(left_name: str, left: Ptr | None, right_name: str, right: Ptr) -> tuple[bool, str, str]:
    """``left == right`` as C compares pointers (the address alone): the answer, the
    comparison with its values, and, when the addresses match but ``left`` was taken at a
    later generation of the object, the clause that says the comparison was fooled."""
    if left is None or left.addr != right.addr:
        return False, f"{left_name} != {right_name} ({left or 'NULL'} against {right})", ""
    fooled = f"but the object is gen {left.gen} now; {right_name} was taken at gen {right.gen}" \
        if left.gen != right.gen else ""
    return True, f"{left_name} == {right_name} (both {right})", fooled
