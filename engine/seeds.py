"""Seeded instances: the same scenario at other addresses and with another slab order, so
two learners' runs of one exercise show different numbers and their links differ.

Seed 0 is the scenario as written.  Seed N moves every user address (the VMAs, pte tables,
ptes, huge pmds, the address arguments of the threads' calls, and the addresses its question
and note quote) by the same multiple of
1 GiB, which keeps every 2 MiB and 1 GiB alignment and every distance, and hands the slab's
objects out in another order, which gives the VMAs other object addresses but keeps LIFO
reuse (a freed object is still the next one handed out).  Neither changes what any
schedule does: the same schedule reaches the same violation or result under every seed
(tests/engine/test_seeds.py checks that on the catalog), so a verdict found for seed 0
serves them all.  Seeds do not change the system calls a thread makes.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from engine.errors import ScenarioError

GIB = 1 << 30
USER_TOP = 1 << 47                  # x86-64 TASK_SIZE: user addresses stay below it
USER_LOW = 1 << 28                  # below it a number in prose is a length or a pfn, not an address
MAX_SEED = 9999
ADDRESS_ARGS = ("address", "addr", "start", "new_addr")   # a call's arguments that are user addresses


def offset(seed: int) -> int:
    """How far seed ``seed`` moves every user address: 0 for seed 0, else 1 to 61 GiB."""
    return 0 if seed == 0 else (1 + (seed * 37) % 61) * GIB


def slab_order(seed: int, size: int) -> tuple[int, ...]:
    """The order the slab's ``size`` objects are first handed out in: by index for seed 0,
    a fixed shuffle of them for any other seed."""
    if seed == 0:
        return tuple(range(size))
    return tuple(sorted(range(size), key=lambda i: hashlib.blake2b(f"{seed}:{i}".encode(), digest_size=4).digest()))


def check_seed(seed: int) -> None:
    if not 0 <= seed <= MAX_SEED:
        raise ScenarioError(f"seed {seed} is out of range: a seed is 0 to {MAX_SEED}")


def _moved(args: dict[str, Any], delta: int) -> dict[str, Any]:
    return {k: v + delta if k in ADDRESS_ARGS and isinstance(v, int) else v for k, v in args.items()}


def shifted(spec: Any, delta: int) -> Any:
    """``spec`` (a ScenarioSpec) with every user address ``delta`` higher."""
    if delta == 0:
        return spec
    top = max([v.end for v in spec.vmas] + [t.address for t in spec.tables])
    if top + delta >= USER_TOP:
        raise ScenarioError(f"{spec.id}: moved by {delta // GIB} GiB its addresses leave user space")
    vmas = [v.model_copy(update={"start": v.start + delta, "end": v.end + delta}) for v in spec.vmas]
    tables = [t.model_copy(update={"address": t.address + delta,
                                   "ptes": [p.model_copy(update={"address": p.address + delta}) for p in t.ptes]})
              for t in spec.tables]
    huge = [h.model_copy(update={"address": h.address + delta}) for h in spec.huge_pmds]
    threads = []
    for t in spec.threads:
        calls = [c.model_copy(update={"args": _moved(c.args, delta)}) for c in t.calls]
        threads.append(t.model_copy(update={"args": _moved(t.args, delta), "calls": calls}))
    prose = {f: _moved_text(getattr(spec, f), delta) for f in ("question", "note")}
    return spec.model_copy(update={"vmas": vmas, "tables": tables, "huge_pmds": huge, "threads": threads, **prose})


def _moved_text(text: str, delta: int) -> str:
    """Prose with its user addresses moved: a hex number from 256 MiB up to the top of user
    space (lengths, pfns and kernel addresses lie outside that range)."""
    def move(m: re.Match[str]) -> str:
        value = int(m[0], 16)
        return f"{value + delta:#x}" if USER_LOW <= value < USER_TOP else m[0]
    return re.sub(r"\b0x[0-9a-fA-F]+\b", move, text)

