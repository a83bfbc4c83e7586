"""What a line does with locks: take, trylock, wait, release, with lockdep's checks.

:class:`LockOps` is the lock half of :class:`engine.state.Ctx` (the step's view of the
state): it reads and changes ``self.locks`` and records who is woken, who blocks, and the
events a screen reader hears.  A recursive acquire is a deadlock; an unlock that does not
match how the lock is held is ``rwsem-imbalance`` (rwsems) or ``lock-not-held``.

Interrupts disabled on a CPU are a pseudo-lock of their own (``irqs_off``): the thread on
that CPU takes it without waiting (``disable_irqs``) and frees it with
``local_irq_restore``; a TLB flush that must interrupt every other CPU (``wait_for_ipis``)
waits, as a ``wait`` entry, on every one that is held, and runs on when the last is freed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine import fixes
from engine.kernel import rwsem
from engine.kernel.locks import IRQ, PAGE, RWSEM, SPINLOCK, LockId, irqs_off
from engine.kernel.rwsem import Lock

if TYPE_CHECKING:
    from engine.program import Value
    from engine.state import State

TRYLOCKS = {PAGE: "trylock_page", SPINLOCK: "spin_trylock"}    # an rwsem's says its mode


class LockOps:
    """Lock operations for a step.  The class that mixes it in provides the fields below
    and ``me``, ``say`` and ``violate``."""

    state: State
    tid: str
    locks: dict[LockId, Lock]
    woken: list[str]
    blocked_on: tuple[LockId, str] | None
    gave: list[tuple[str, Value]]

    def lock(self, lock: LockId) -> Lock:
        return self.locks.get(lock) or Lock(lock)

    def acquire(self, name: LockId, mode: str) -> bool:
        """down_read/down_write/spin_lock/lock_page: take it, or queue and block here."""
        lk = self.lock(name)
        if lk.holds(self.tid):
            self.violate("deadlock", None, f"{self.me} takes {name} ({mode}) while holding it ({lk.holds(self.tid)})",
                         report=f"WARNING: possible recursive locking detected\n{self.me}/{self.tid} is trying to acquire "
                                f"lock {name} ({mode}) but already holds it ({lk.holds(self.tid)}).",
                         check=fixes.NO_RECURSION)
        if rwsem.can_take(lk, mode):
            self.locks[name] = rwsem.take(lk, self.tid, mode)
            self.say(f"{self.me} takes {name} ({mode})", kind="lock")
            return True
        self.locks[name] = rwsem.enqueue(lk, self.tid, mode)
        self.say(f"{self.me} waits for {name} ({mode}): {rwsem.describe_wait(lk, self.tid)}", kind="lock")
        self.blocked_on = (name, mode)
        return False

    def trylock(self, name: LockId, mode: str) -> bool:
        """down_read_trylock/trylock_page: take it now or fail at once.  The attempt is a
        return of that function (1 or 0), which goals such as event(K, down_read_trylock=0) read."""
        lk = self.lock(name)
        function = TRYLOCKS[name.kind] if name.kind != RWSEM else f"down_{mode}_trylock"
        taken = rwsem.can_take(lk, mode)
        self.gave.append((function, int(taken)))
        if taken:
            self.locks[name] = rwsem.take(lk, self.tid, mode)
            self.say(f"{self.me} trylocks {name} ({mode}): taken", kind="lock")
            return True
        why = "held for write" if lk.writer else f"{lk.queue[0][0]} waits in the queue" if lk.queue else "held"
        self.say(f"{self.me} trylocks {name} ({mode}): fails, {why}", kind="lock")
        return False

    def wait_unlocked(self, name: LockId) -> bool:
        """wait_on_page_locked: sleep until the lock is free, without taking it."""
        lk = self.lock(name)
        if lk.is_free:
            return True
        self.locks[name] = rwsem.enqueue(lk, self.tid, rwsem.WAIT)
        self.say(f"{self.me} sleeps until {name} is unlocked", kind="lock")
        self.blocked_on = (name, rwsem.WAIT)
        return False

    def release(self, name: LockId, mode: str) -> None:
        """up_read/up_write/spin_unlock/unlock_page, with lockdep's balance check."""
        lk = self.lock(name)
        kind = lk.kind
        out = rwsem.release(lk, self.tid, mode)
        if out is None:
            held = lk.holds(self.tid)
            how = f"holds it for {held}" if held else "does not hold it"
            verb = {"rwsem": "up_" + mode, "spinlock": "spin_unlock", "page": "unlock_page",
                    "irq": "local_irq_restore"}[kind]
            self.violate(
                "rwsem-imbalance" if kind == RWSEM else "lock-not-held", None,
                f"{self.me} calls {verb}({name}) but {how}",
                report=f"WARNING: bad unlock balance detected!\n{self.me}/{self.tid} is trying to release lock "
                       f"({name}) with {verb}() but {how}.\n"
                       + ("The rwsem count is now corrupt: the read hold is never dropped." if held else ""),
                check=fixes.UNLOCK_BALANCE)
        lk, woken = out
        self.locks[name] = lk
        self.say(f"{self.me} releases {name} ({mode})", kind="lock")
        for t in woken:
            self.woken.append(t)
            still = self.queued_elsewhere(t)
            then = f"still waits for {still}" if still else f"holds {name}" if lk.holds(t) else "runs on"
            self.say(f"{self.state.thread(t).name} is woken and {then}", kind="wake")

    def queued_elsewhere(self, tid: str) -> LockId | None:
        """The first lock (by name) in whose queue ``tid`` still waits: a thread that waits for
        several at once (an IPI's CPUs) runs on only when the last of them lets it go."""
        return next((lk.id for lk in sorted(self.locks.values(), key=lambda lk: lk.name)
                     if any(q == tid for q, _ in lk.queue)), None)

    def disable_irqs(self) -> None:
        """local_irq_save: interrupts off on this thread's CPU.  It never waits: only this
        thread takes its CPU's pseudo-lock, and whoever waited on it was woken when it was
        last freed."""
        name = irqs_off(self.tid)
        lk = self.lock(name)
        assert lk.is_free and not lk.queue, f"{name}: interrupts are already off"
        self.locks[name] = rwsem.take(lk, self.tid, rwsem.WRITE)
        self.say(f"{self.me} disables interrupts on its CPU", kind="lock")

    def wait_for_ipis(self) -> bool:
        """A TLB flush that interrupts every other CPU and waits until each has run the
        handler (x86's flush_tlb_others, smp_call_function_many with wait): a CPU with
        interrupts off runs it only once it enables them.  Blocks on every such CPU at
        once; the release of the last one makes the thread runnable past its line."""
        off = sorted((lk for lk in self.locks.values() if lk.kind == IRQ and lk.writer not in (None, self.tid)),
                     key=lambda lk: lk.name)
        if not off:
            return True
        for lk in off:
            self.locks[lk.id] = rwsem.enqueue(lk, self.tid, rwsem.WAIT)
        cpus = " and ".join(f"{lk.writer}'s" for lk in off)
        self.say(f"{self.me}'s TLB-flush IPI waits for {cpus} CPU: interrupts are off there", kind="lock")
        self.blocked_on = (off[0].id, rwsem.WAIT)
        return False

    def holds(self, name: LockId, mode: str | None = None) -> bool:
        held = self.lock(name).holds(self.tid)
        return held is not None and (mode is None or held == mode)
