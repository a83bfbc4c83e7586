"""mremap(2) shrinking in place (mm/mremap.c, v4.8).

Shrinking unmaps the tail with do_munmap: __split_vma gives the tail a new object, which is
freed; the original object keeps [addr, addr + new_len), same address, same generation.

Departures: only the shrink case (grow and move are not modelled).
"""

from __future__ import annotations

from engine.program import Path, Step
from engine.programs.munmap import DO_MUNMAP
from engine.programs.syscall import locked

MREMAP = locked("mremap", (
    Step("if (old_len >= new_len) ret = do_munmap(mm, addr + new_len, old_len - new_len);",
         lambda c: c.call(DO_MUNMAP, start=c["addr"] + c["new_len"], len=c["old_len"] - c["new_len"]),
         "{me} shrinks the mapping by unmapping its tail", on_return=lambda c, v: None),
), ("addr", "old_len", "new_len"), __doc__ or "", callees=(DO_MUNMAP,))

PATHS = (Path("mremap", MREMAP, task=True),)
