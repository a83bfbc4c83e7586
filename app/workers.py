"""Worker processes that never outlive the server.

A pool is spawned (not forked: the server has threads) and each worker watches its parent:
when the server is gone, even killed with SIGKILL, the worker exits within a second instead
of lingering re-parented to PID 1.  Workers run at a lower CPU priority (``NICENESS``): a
search is batch work that may take seconds, a step of the player is a key press waiting for
its page, so when both want a core the step goes first and the search still gets the rest.  :func:`stop` ends a pool at once: queued work is
cancelled and running workers are killed (SIGKILL also ends a stopped one), which is what a
shutdown and a pool reset need; no search's answer is worth waiting for then.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

WATCH_SECONDS = 0.5
NICENESS = 10          # nice(1): a worker gets about a tenth of a core that a request also wants


def _exit_with(parent: int) -> None:
    while True:
        time.sleep(WATCH_SECONDS)
        if os.getppid() != parent:
            os._exit(0)


def watch_parent(parent: int) -> None:
    """Exit this process once ``parent`` is no longer its parent (the pool's initializer in
    each worker; each server process of ``mmlock serve --workers N`` calls it too)."""
    threading.Thread(target=_exit_with, args=(parent,), name="watch-parent", daemon=True).start()


def _start_worker(parent: int) -> None:
    os.nice(NICENESS)
    watch_parent(parent)


def new_pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=get_context("spawn"),
                               initializer=_start_worker, initargs=(os.getpid(),))


def pids(pool: ProcessPoolExecutor) -> list[int]:
    """The pool's worker processes now (CPython keeps them in ``_processes``)."""
    return [p.pid for p in list(getattr(pool, "_processes", {}).values()) if p.pid is not None]


def stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what is queued, kill what runs, and reap the workers."""
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        if p.is_alive():
            p.kill()
    for p in processes:
        p.join(timeout=5)
