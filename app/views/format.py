"""Value formatting, written once: addresses, sizes, values, chip colours, VMAs.

The player, the compare page, the JSON and the CLI all format through here.
"""

from __future__ import annotations

import hashlib

from engine.kernel.vma import Vma

CHIP_COLOURS = 8
ADVANCE = 0.62          # a monospace glyph's advance in em (DejaVu Sans Mono: 0.602), with room to spare


def text_width(text: str, px: float) -> float:
    """How wide ``text`` is drawn in the monospace font at ``px``: the SVGs measure with it."""
    return len(text) * ADVANCE * px


def hexaddr(value: int) -> str:
    return f"{value:#x}"


def size_text(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n} bytes"


def value_text(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return hexaddr(value) if value > 4096 else str(value)
    if isinstance(value, tuple):
        return " | ".join(value_text(v) for v in value) or "(none)"
    return str(value)


def chip_colour(addr: int) -> str:
    digest = hashlib.blake2b(str(addr).encode(), digest_size=2).digest()
    return f"c{int.from_bytes(digest, 'big') % CHIP_COLOURS}"


def vma_text(vma: Vma) -> str:
    kind = f"file {vma.file}" if vma.file else "anon"
    return f"[{hexaddr(vma.start)}, {hexaddr(vma.end)}) {kind}"
