"""Sleeping and spinning locks with the v4.8 rw_semaphore rules (rwsem-xadd.c).

One value type serves mmap_sem, the anon_vma rwsem, the split pmd/pte spinlocks and the
PG_locked page lock.  A lock is ``writer | readers`` plus a FIFO wait queue; a thread in
the queue is blocked and therefore not enabled.

The rules, as a table (mode -> may the caller take it now?):

    read   no writer and nobody queued        (a queued writer blocks new readers)
    write  no writer, no readers, nobody queued
    trylock (read or write): the same test, but failure returns at once

Release: when the lock becomes free, the queue head decides: a ``wait`` entry (a page-lock
waiter in wait_on_page_locked, which does not take the lock) is woken and the next entry
looked at; a ``write`` entry gets the lock alone; ``read`` entries at the front are all
granted, stopping at the first writer.

Departure from the kernel: writers' optimistic spinning and lock stealing are left out, so
the queue order is always the grant order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from engine.kernel.locks import RWSEM, LockId

READ, WRITE, WAIT = "read", "write", "wait"


@dataclass(frozen=True, slots=True)
class Lock:
    """A lock's whole state: which lock it is, its holders and its wait queue."""

    id: LockId
    writer: str | None = None
    readers: tuple[str, ...] = ()
    queue: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        assert not (self.writer and self.readers), f"{self.name}: writer and readers at once"
        assert self.kind == RWSEM or not self.readers, f"{self.name}: readers on a {self.kind}"

    @property
    def name(self) -> str:
        return self.id.name

    @property
    def kind(self) -> str:
        """``rwsem``, ``spinlock`` or ``page``."""
        return self.id.kind

    @property
    def is_free(self) -> bool:
        return self.writer is None and not self.readers

    def holds(self, tid: str) -> str | None:
        """The mode in which ``tid`` holds the lock, or None."""
        if self.writer == tid:
            return WRITE
        return READ if tid in self.readers else None

    def holders(self) -> tuple[str, ...]:
        return (self.writer,) if self.writer else self.readers


def describe_wait(lock: Lock, tid: str) -> str:
    """Who stands between ``tid`` and the lock: "held by K (read); queued behind B"."""
    held = [f"{h} ({lock.holds(h)})" if lock.kind == RWSEM else h for h in lock.holders()]
    ahead = []
    for other, _ in lock.queue:
        if other == tid:
            break
        ahead.append(other)
    why = ([f"held by {', '.join(held)}"] if held else []) + ([f"queued behind {', '.join(ahead)}"] if ahead else [])
    return "; ".join(why)


def can_take(lock: Lock, mode: str) -> bool:
    """Whether ``mode`` can be granted now without waiting (also the trylock test)."""
    if lock.queue or lock.writer is not None:
        return False
    return mode == READ or not lock.readers


def take(lock: Lock, tid: str, mode: str) -> Lock:
    """Grant ``mode`` to ``tid``; the caller has checked :func:`can_take`."""
    if mode == WRITE:
        return replace(lock, writer=tid)
    return replace(lock, readers=tuple(sorted(lock.readers + (tid,))))


def enqueue(lock: Lock, tid: str, mode: str) -> Lock:
    """Append ``tid`` to the FIFO wait queue."""
    return replace(lock, queue=lock.queue + ((tid, mode),))


def release(lock: Lock, tid: str, mode: str) -> tuple[Lock, tuple[str, ...]] | None:
    """Drop ``tid``'s hold in ``mode``; None if it does not hold the lock that way.

    Returns the new lock and the threads that the release made runnable, in queue order.
    """
    if mode == WRITE and lock.writer == tid:
        lock = replace(lock, writer=None)
    elif mode == READ and tid in lock.readers:
        lock = replace(lock, readers=tuple(r for r in lock.readers if r != tid))
    else:
        return None
    return wake(lock)


def wake(lock: Lock) -> tuple[Lock, tuple[str, ...]]:
    """Serve the queue head(s) of a lock that may have become free."""
    woken: list[str] = []
    queue = list(lock.queue)
    while queue and lock.is_free:
        tid, mode = queue[0]
        if mode == WAIT:
            woken.append(tid)
            queue.pop(0)
        elif mode == WRITE:
            lock = replace(lock, writer=tid)
            woken.append(tid)
            queue.pop(0)
        else:
            while queue and queue[0][1] in (READ, WAIT):
                tid, mode = queue.pop(0)
                if mode == READ:
                    lock = replace(lock, readers=tuple(sorted(lock.readers + (tid,))))
                woken.append(tid)
            break
    return replace(lock, queue=tuple(queue)), tuple(woken)
