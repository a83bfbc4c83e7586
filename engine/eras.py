"""Kernel eras: which variants a scenario runs, and which names its kernel uses.

A scenario file's ``kernel`` names its era.  An era is the range of kernels whose code the
same scenario can be asked about: the **v4.8** era (the 2016 story: v1, v4.8-rc, v4.8, its
ablations and check sets, and every variant built from v4.8's code) and the **v5.4** era
(v5.4, where ``hugepage_vma_check`` began to accept read-only file text, and v5.8, which
fixed what that broke).  A variant belongs to the era of the kernel its code models
(``Code.kernel``), so a variant that says nothing is v4.8's.  A scenario lists, accepts and
declares only the variants of its era: a v4.8 scenario has no file-THP code to ask about,
and a v5.4 scenario's lesson (the file branch) does not exist in v4.8.

Names follow the kernel, not the era: mmap_sem and down_read up to v5.7, mmap_lock and
mmap_read_lock from v5.8 (da1c55f1b272); :func:`rename` is the one place that says so, and
:func:`lock_name` is how every face shows a lock.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace

from engine.program import Program


@dataclass(frozen=True)
class Era:
    """One era: the kernel a scenario file names, the kernels its variants model, and the
    variants a link that names none opens (``default``, the player's) or compares with it
    (``baseline``: the explorer's default, the right side of compare)."""

    id: str
    title: str
    kernels: tuple[str, ...]
    default: str
    baseline: str


ERAS: dict[str, Era] = {e.id: e for e in (
    Era("v4.8", "Linux 4.8 (2016): the review and its fixes", ("v4.8",), "v1-pointer-check", "v4.8"),
    Era("v5.4", "Linux 5.4 to 5.8 (2019 to 2020): read-only file THP", ("v5.4", "v5.8"), "v5.4", "v5.8"),
)}
FIRST_ERA = "v4.8"


def era_of_kernel(kernel: str) -> Era:
    """The era whose variants model ``kernel``'s code."""
    return next(e for e in ERAS.values() if kernel in e.kernels)


def _version(kernel: str) -> tuple[int, ...]:
    return tuple(int(part) for part in kernel.removeprefix("v").split("."))


@functools.cache
def has_mmap_lock(kernel: str) -> bool:
    """Whether ``kernel`` calls it mmap_lock (v5.8 on, da1c55f1b272)."""
    return _version(kernel) >= (5, 8)


_API = {"down_read_trylock": "mmap_read_trylock", "down_read": "mmap_read_lock", "down_write": "mmap_write_lock",
        "up_read": "mmap_read_unlock", "up_write": "mmap_write_unlock"}
_CALL = re.compile(r"\b(down_read_trylock|down_read|down_write|up_read|up_write)\((?:&mm->)?mmap_sem\)")


def rename(text: str, kernel: str) -> str:
    """``text`` in ``kernel``'s names: from v5.8, ``down_read(&mm->mmap_sem)`` is
    ``mmap_read_lock(mm)`` (and so on for the other four calls), and ``mmap_sem`` is
    ``mmap_lock``.  Other rwsems (``down_write`` of an anon_vma) keep their names."""
    if not has_mmap_lock(kernel):
        return text
    return _CALL.sub(lambda m: f"{_API[m[1]]}(mm)", text).replace("mmap_sem", "mmap_lock")


def lock_name(lock: object, kernel: str) -> str:
    """What the locks panel, the timeline, the kernel log and the CLI call ``lock`` (an
    engine.kernel.locks.LockId) in ``kernel``."""
    return rename(str(lock), kernel)


def retag(program: Program, variant: str, kernel: str, done: dict[tuple[str, str], Program] | None = None) -> Program:
    """``program`` as ``kernel``'s code under ``variant``: the same steps, their lines and
    sentences in ``kernel``'s names, and so for every program it calls (each once).  This
    is how a later-era variant runs v4.8's model of a path: a copy with its own key, so
    its digest, its code panel and its diff say which kernel it is."""
    done = {} if done is None else done
    if program.key not in done:
        steps = tuple(replace(s, line=rename(s.line, kernel), says=rename(s.says, kernel)) for s in program.steps)
        callees = tuple(retag(p, variant, kernel, done) for p in program.callees)
        done[program.key] = Program(program.function, kernel, variant, program.params, steps,
                                    rename(program.doc, kernel), callees)
    return done[program.key]
