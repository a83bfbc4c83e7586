"""struct vm_area_struct contents and the address arithmetic khugepaged uses."""

from __future__ import annotations

from dataclasses import dataclass, replace

PAGE_SIZE = 4096
HPAGE_PMD_SIZE = 2 << 20
HPAGE_PMD_NR = HPAGE_PMD_SIZE // PAGE_SIZE
HPAGE_PMD_MASK = ~(HPAGE_PMD_SIZE - 1)
PUD_SIZE = 1 << 30

VM_READ, VM_WRITE, VM_EXEC, VM_SHARED = "VM_READ", "VM_WRITE", "VM_EXEC", "VM_SHARED"
VM_HUGEPAGE, VM_NOHUGEPAGE = "VM_HUGEPAGE", "VM_NOHUGEPAGE"
VM_DENYWRITE = "VM_DENYWRITE"     # a file mapped so nobody may write it: an executable's text
VM_FLAGS = (VM_READ, VM_WRITE, VM_EXEC, VM_SHARED, VM_HUGEPAGE, VM_NOHUGEPAGE, VM_DENYWRITE)
"""The vm_flags the model knows; scenario files and mmap's flags may use these."""


@dataclass(frozen=True, slots=True)
class Vma:
    """The fields of one VMA that the modelled paths read or write.

    ``anon_vma`` is the id of its anon_vma (None until the first anonymous fault);
    ``file`` names the mapped file and ``vm_ops`` its operations (both None when anonymous).
    """

    start: int
    end: int
    flags: tuple[str, ...] = (VM_READ, VM_WRITE)
    anon_vma: int | None = None
    file: str | None = None
    vm_ops: str | None = None
    pgoff: int = 0

    def __post_init__(self) -> None:
        assert self.start < self.end, f"empty vma [{self.start:#x}, {self.end:#x})"
        assert self.flags == tuple(sorted(self.flags)), "flags must be sorted"

    def has(self, flag: str) -> bool:
        return flag in self.flags

    @property
    def is_anonymous(self) -> bool:
        return self.file is None and self.vm_ops is None

    def with_flags(self, add: tuple[str, ...] = (), drop: tuple[str, ...] = ()) -> Vma:
        flags = tuple(sorted((set(self.flags) | set(add)) - set(drop)))
        return replace(self, flags=flags)

    def describe(self) -> str:
        kind = f"file {self.file}" if self.file else "anon"
        return f"[{self.start:#x}, {self.end:#x}) {kind}"


def hpage_range(vma: Vma) -> tuple[int, int]:
    """hstart, hend: the 2 MiB-aligned part of the VMA, as collapse_huge_page computes it."""
    hstart = (vma.start + ~HPAGE_PMD_MASK) & HPAGE_PMD_MASK
    hend = vma.end & HPAGE_PMD_MASK
    return hstart, hend


def pmd_base(addr: int) -> int:
    return addr & HPAGE_PMD_MASK


def pud_base(addr: int) -> int:
    return addr & ~(PUD_SIZE - 1)
