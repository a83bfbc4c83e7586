"""The frame every mmap_sem-writing system call shares (mm/mmap.c, v4.8).

munmap, mmap, mremap and madvise take mmap_sem for write around their body and return 0.
"""

from __future__ import annotations

from engine.kernel.locks import MMAP_SEM
from engine.kernel.rwsem import WRITE
from engine.program import Program, Step, lock_step, line

KERNEL = "v4.8"


@line("up_write(&mm->mmap_sem); return ret;", "{me} drops mmap_sem (write)", lock_op=True)
def _up_write_return(c) -> None:
    c.release(MMAP_SEM, WRITE)
    c.ret(c.locals.get("ret", 0))


def locked(function: str, body: tuple[Step, ...], params: tuple[str, ...], doc: str,
           callees: tuple[Program, ...] = ()) -> Program:
    """A syscall that runs ``body`` between down_write and up_write of mmap_sem."""
    return Program(function, KERNEL, "common", params, (
        lock_step(MMAP_SEM, WRITE, "down_write(&mm->mmap_sem);", "{me} takes mmap_sem (write)"),
        *body,
        _up_write_return,
    ), doc=doc, callees=callees)
