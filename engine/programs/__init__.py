"""Kernel paths as step programs, one module per path; step labels are kernel names.

The registry: every module exports ``PATHS``, the paths a scenario thread can run, and
:data:`PATHS` here lists them all by name.  Adding a kernel path is one module and one
entry in ``_MODULES``.
"""

from __future__ import annotations

from engine.program import Path
from engine.programs import (exit, fault, gup, khugepaged, madvise, mmap, mremap, munmap, procmaps, scan, split,
                             swapio)

_MODULES = (khugepaged, munmap, mmap, mremap, madvise, exit, fault, swapio, scan, procmaps, gup, split)
PATHS: dict[str, Path] = {path.name: path for module in _MODULES for path in module.PATHS}
EXIT_MM = exit.MMPUT      # what a thread of the process runs on its way out when the process exits
