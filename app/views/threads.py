"""Threads, their step controls, the locks panel and the glossary of lock words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import engine
from app.links import player_href, run_to_href
from app.views.format import chip_colour, hexaddr, value_text, vma_text
from engine import Run, Scenario, State, Thread
from engine.eras import has_mmap_lock, lock_name
from engine.kernel.locks import IRQ, MMAP_SEM, LockId
from engine.kernel.ptr import Ptr
from engine.kernel.slab import ALLOCATED
from engine.state import Frame

GLOSSARY = {
    "mmap_sem": "mm->mmap_sem: the read/write semaphore that protects the VMA list of a process. "
                "Readers share it; a writer (munmap, mmap) holds it alone. FIFO queue: a queued writer "
                "blocks new readers. Called mmap_lock since Linux 5.8.",
    "mmap_lock": "mm->mmap_lock: the read/write semaphore that protects the VMA list of a process. "
                 "Readers share it; a writer (munmap, mmap) holds it alone. A waiter blocks new readers. "
                 "Called mmap_sem before Linux 5.8 (da1c55f1b272).",
    "anon_vma": "anon_vma: the reverse-map root of an anonymous VMA; its rwsem keeps rmap walkers "
                "(page migration, reclaim) out. A file VMA has none: vma->anon_vma is NULL.",
    "pmd": "pmd: page middle directory entry. One entry maps 2 MiB: none, a pointer to a pte table "
           "(512 ptes of 4 KiB), or one huge page.",
    "pte": "pte: page table entry for one 4 KiB page: present (maps a page), swap (the data is in swap) "
           "or none.",
    "hstart": "hstart/hend: the 2 MiB-aligned part of the VMA, computed by hugepage_vma_revalidate. "
              "The range [address, address + 2 MiB) must lie inside [hstart, hend).",
    "gen": "generation: how many times this slab object has been allocated. The same address with a "
           "new generation is a different vm_area_struct that reuses freed memory.",
    "slab": "the vm_area_struct slab cache: fixed-size objects at stable addresses. SLUB hands back "
            "the most recently freed object first (LIFO).",
    "freelist": "the slab freelist: free objects, next allocation first.",
    "spinlock": "a split page-table spinlock (pmd_lock, pte_lockptr): held for short critical sections.",
    "page": "PG_locked: the page lock. Swap-in I/O holds it until the read completes.",
    "irq": "interrupts off on a CPU (local_irq_save): not a lock, but a TLB-flush IPI to that CPU "
           "cannot complete until they are on again, so GUP-fast holds off pmdp_collapse_flush.",
}


GLOSSARY_OF_LOCK_CLASS = {"mmap_sem": "mmap_sem", "anon_vma": "anon_vma", "ptl": "spinlock", "page": "page",
                          "irq": "irq"}


def glossary(kernel: str) -> dict[str, str]:
    """The glossary in ``kernel``'s names: its mmap lock's entry under the name it has there."""
    name = lock_name(MMAP_SEM, kernel)
    return {**GLOSSARY, "mmap_sem": GLOSSARY[name]}


def glossary_key(lock: LockId) -> str:
    return GLOSSARY_OF_LOCK_CLASS[lock.cls]


def modern_name(lock: LockId, kernel: str) -> str:
    """The note a 4.x run shows once, on its mmap_sem row: what later kernels call it."""
    return "mmap_lock from v5.8" if lock == MMAP_SEM and not has_mmap_lock(kernel) else ""


# -- view models ------------------------------------------------------------------------------
@dataclass
class Chip:
    text: str
    colour: str
    note: str = ""
    stale: bool = False


@dataclass
class Local:
    name: str
    text: str = ""
    chip: Chip | None = None


@dataclass
class CodeLine:
    number: int
    text: str
    current: bool
    lock_op: bool
    label: str | None
    ran: bool = False                   # the line the thread's last step ran
    shows: list[Local] = field(default_factory=list)   # what that line decided on, drawn beside it


@dataclass
class FrameView:
    function: str
    line: str
    locals: list[Local]
    code: list[CodeLine] = field(default_factory=list)
    doc: str = ""


@dataclass
class Control:
    tid: str
    name: str
    key: str
    enabled: bool
    href: str
    lock_href: str
    block_href: str
    reason: str


@dataclass
class ThreadView:
    tid: str
    name: str
    status: str
    status_text: str
    frames: list[FrameView]
    changed: bool
    ran_last: bool
    result: str = ""                    # a finished thread's return value


@dataclass
class LockView:
    name: str
    kind: str
    glossary: str
    holders: str
    queue: list[str]
    changed: bool
    note: str = ""              # mmap_sem in a 4.x run: its modern name


def pointer_chip(state: State, ptr: Ptr) -> Chip:
    note = ""
    stale = False
    if ptr.kind == "vm_area_struct":
        obj = state.slab.get(ptr.ref)
        if obj.state != ALLOCATED:
            note, stale = f"taken at gen {ptr.gen}; the object is now {obj.state}", True
        elif obj.gen != ptr.gen:
            note, stale = f"taken at gen {ptr.gen}; the object is now gen {obj.gen}, {vma_text(obj.vma)}", True
        else:
            note = f"gen {obj.gen}, {vma_text(obj.vma)}"
    elif ptr.kind == "pmd":
        table = next((t for t in state.pmd_tables if t.pfn == ptr.ref), None)
        if table is None or not table.live:
            note, stale = f"entry of pmd table pfn {hexaddr(ptr.ref)}, which has been freed", True
        else:
            note = f"entry of the pmd table at pfn {hexaddr(ptr.ref)}"
    return Chip(hexaddr(ptr.addr), chip_colour(ptr.addr), note, stale)


def local_view(state: State, name: str, value: object) -> Local:
    if isinstance(value, Ptr):
        return Local(name, chip=pointer_chip(state, value))
    return Local(name, value_text(value))


def waiting_text(state: State, tid: str) -> str:
    return f"waiting for {engine.waiting_for(state, tid)}"


def ran_line(thread: Thread, before: Thread | None) -> tuple[int, int] | None:
    """Which line the step from ``before`` to ``thread`` ran, as (frame depth, pc): the line
    of the innermost frame both have (a call leaves the caller's line; a return ran the
    callee's return and the caller's line that called it, which is the one still shown)."""
    if before is None or before == thread:
        return None
    depth = min(len(before.frames), len(thread.frames)) - 1
    if depth < 0 or before.frames[depth].program != thread.frames[depth].program:
        return None
    return depth, before.frames[depth].pc


def code_lines(state: State, frame: Frame, ran: int | None) -> list[CodeLine]:
    lines, names = [], dict(frame.locals)
    for n, s in enumerate(frame.program.steps):
        shows = [local_view(state, k, names[k]) for k in s.shows if k in names] if n == ran else []
        lines.append(CodeLine(n + 1, s.line, n == frame.pc, s.lock_op, s.label, n == ran, shows))
    return lines


def thread_views(state: State, prev: State | None, last_tid: str | None) -> list[ThreadView]:
    out = []
    for t in state.threads:
        ran = ran_line(t, prev.thread(t.tid)) if prev is not None and t.tid == last_tid else None
        frames = []
        for depth, f in enumerate(t.frames):
            top = depth == len(t.frames) - 1
            code = code_lines(state, f, ran[1] if ran and ran[0] == depth else None) if top else []
            frames.append(FrameView(f.program.function, f.line,
                                    [local_view(state, k, v) for k, v in f.locals], code, f.program.doc))
        if t.status == "done":
            status_text = f"done: returned {value_text(t.result)}"
        elif t.status == "blocked":
            status_text = waiting_text(state, t.tid)
        elif state.violation is not None:
            status_text = "stopped: the kernel crashed" if state.violation.thread == t.tid else "stopped"
        else:
            status_text = f"runnable: next runs line {t.top.pc + 1} of {t.top.program.function}"
        changed = prev is not None and prev.thread(t.tid) != t
        out.append(ThreadView(t.tid, t.name, t.status, status_text, list(reversed(frames)), changed,
                              t.tid == last_tid, value_text(t.result) if t.status == "done" else ""))
    return out


def why_not(state: State, tid: str) -> str:
    """Why thread ``tid`` cannot step in ``state``: the run ended, it finished, or what it waits for."""
    if state.violation is not None:
        return "the run has ended"
    if state.thread(tid).status == "done":
        return "finished"
    return waiting_text(state, tid)


def controls(scenario: Scenario, variant_id: str, run: Run) -> list[Control]:
    state = run.final
    can = engine.enabled(state)
    out = []
    for t in state.threads:
        ok = t.tid in can
        reason = f"run one line of {t.name}" if ok else why_not(state, t.tid)
        lock_href = block_href = ""
        if ok:
            lock_href = run_to_href(scenario, variant_id, run.schedule, "lock", t.tid)
            block_href = run_to_href(scenario, variant_id, run.schedule, "block", t.tid)
        out.append(Control(t.tid, t.name, t.tid.lower(), ok,
                           player_href(scenario, variant_id, run.schedule + (t.tid,)) if ok else "",
                           lock_href, block_href, reason))
    return out


def lock_views(state: State, prev: State | None) -> list[LockView]:
    before = {lk.id: lk for lk in prev.locks} if prev is not None else {}
    kernel = state.config.kernel
    out = []
    ids = [lk.id for lk in state.locks]
    if MMAP_SEM not in ids:
        ids.insert(0, MMAP_SEM)
    for lid in ids:
        lk = state.lock(lid)
        name, note = lock_name(lid, kernel), modern_name(lid, kernel)
        if lk is None:
            out.append(LockView(name, lid.kind, glossary_key(lid), "free", [], MMAP_SEM in before, note))
            continue
        held = "interrupts off" if lk.kind == IRQ else None
        holders = ", ".join(f"{h} ({held or lk.holds(h)})" for h in lk.holders()) or "free"
        queue = [f"{tid} ({mode})" for tid, mode in lk.queue]
        out.append(LockView(name, lk.kind, glossary_key(lid), holders, queue, before.get(lid) != lk, note))
    for lid in before:
        if lid not in ids:
            out.append(LockView(lock_name(lid, kernel), lid.kind, glossary_key(lid), "free (released in the last step)",
                                [], True, modern_name(lid, kernel)))
    return out


def ended_text(state: State) -> str:
    """One line for a run in which no thread can step any more ("" while one can)."""
    if engine.enabled(state):
        return ""
    v = state.violation
    if v is not None:
        return f"The run has ended at step {v.step}: {v.kind} in {state.thread(v.thread).name} ({v.thread})."
    return "Every thread has finished."
