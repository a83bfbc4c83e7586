"""Swap-in I/O completion: end_swap_bio_read (mm/page_io.c, v4.8).

Readahead locked the swap cache page and submitted the read; this thread is that I/O.
While it has not run, the page stays locked, so do_swap_page in khugepaged cannot lock it
and (with FAULT_FLAG_ALLOW_RETRY alone) drops mmap_sem and sleeps: the schedule, not a
coin, decides whether khugepaged loses mmap_sem.

Departures: the bio and its completion interrupt are one thread of two steps.
"""

from __future__ import annotations

from dataclasses import replace

from engine.kernel.locks import page_lock
from engine.kernel.rwsem import WRITE
from engine.program import Path, Program, Start, Step
from engine.state import Ctx


def _uptodate(c: Ctx) -> None:
    swap = dict(c.get("swap"))
    pages = tuple(replace(p, data=tuple((a, swap.get(p.swap, d)) for a, d in p.data)) if p.pfn == c["page"] else p
                  for p in c.get("pages"))
    c.put(pages=pages)


def _unlock(c: Ctx) -> None:
    c.release(page_lock(c["page"]), WRITE)
    c.ret(0)


END_SWAP_BIO_READ = Program("end_swap_bio_read", "v4.8", "common", ("bio",), (
    Step("SetPageUptodate(page);", _uptodate, "the swap read completes: the page holds the data"),
    Step("unlock_page(page);", _unlock, "the I/O unlocks the page and wakes its waiters", lock_op=True),
), doc=__doc__ or "")


def _page(args: dict, start: Start, tid: str, program: Program) -> dict:
    """The I/O thread completes the read of the page the scenario's pte says it holds."""
    return {**args, "page": start.io_page(tid)}


PATHS = (Path("end_swap_bio_read", END_SWAP_BIO_READ, setup=_page),)
