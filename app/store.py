"""Answers kept across restarts: each scenario's 32 check sets and each prove exercise's
verdict, in the user's cache folder.

A file's name is a hash of everything the answer depends on: the scenario's digest (its
file and the text of every program it can run), the engine's own source, and the search
bound.  So an edited scenario, a new engine or another bound never reads an old answer, and
nothing needs invalidating.  Only answers no clock cut are kept (a time bound depends on the
machine).  The folder is ``$MMLOCK_CACHE_DIR``, else ``$XDG_CACHE_HOME/mmlock``, else
``~/.cache/mmlock``; a file that cannot be read is removed and computed again.  The files
are pickles the server wrote itself, in a folder only the user writes.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pickle
import tempfile
from functools import cache
from pathlib import Path
from typing import IO

import engine
from engine.checks import CheckSets
from engine.explore import Exploration

ENGINE = Path(engine.__file__).resolve().parent


def default_dir() -> Path:
    if os.environ.get("MMLOCK_CACHE_DIR"):
        return Path(os.environ["MMLOCK_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mmlock"


@cache
def engine_hash() -> str:
    """A hash of the engine's Python source, so an answer never outlives the code behind it."""
    h = hashlib.blake2b(digest_size=8)
    for path in sorted(ENGINE.rglob("*.py")):
        h.update(path.relative_to(ENGINE).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


class Store:
    """Answers on disk, by content hash."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._claim: IO[bytes] | None = None

    def claim_warming(self) -> bool:
        """Whether this process is the one to compute every scenario's answers at startup:
        of the server processes sharing the folder, the first to ask holds the claim for its
        life (``mmlock serve --workers N`` starts N at once); without a folder, always."""
        if self.folder is None or self._claim is not None:
            return True
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            claim = open(self.folder / "warming.lock", "ab")
        except OSError:
            return True
        try:
            fcntl.flock(claim, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            claim.close()
            return False
        self._claim = claim
        return True

    def _path(self, kind: str, key: str) -> Path | None:
        if self.folder is None:
            return None
        h = hashlib.blake2b(f"{key}:{engine_hash()}".encode(), digest_size=12)
        return self.folder / f"{kind}-{h.hexdigest()}.pickle"

    def get(self, scenario: engine.Scenario, max_states: int) -> CheckSets | None:
        value = self.load("checks", f"{scenario.behaviour}:{max_states}")
        return value if isinstance(value, CheckSets) and value.scenario == scenario.id else None

    def put(self, scenario: engine.Scenario, max_states: int, sets: CheckSets) -> None:
        """Keep ``sets`` unless a time bound cut one of its searches; never fails the caller."""
        if not any(r.bound == "time" for r in sets.results):
            self.save("checks", f"{scenario.behaviour}:{max_states}", sets)

    def get_proof(self, key: str) -> Exploration | None:
        """A prove exercise's verdict (engine.exercises.verdict_key names it)."""
        value = self.load("proof", key)
        return value if isinstance(value, Exploration) else None

    def put_proof(self, key: str, found: Exploration) -> None:
        if found.bound != "time":
            self.save("proof", key, found)

    def load(self, kind: str, key: str) -> object | None:
        """The answer kept under (kind, key), or None; an unreadable file is removed."""
        path = self._path(kind, key)
        if path is None or not path.exists():
            return None
        try:
            return pickle.loads(path.read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            path.unlink(missing_ok=True)
            return None

    def save(self, kind: str, key: str, value: object) -> None:
        """Keep ``value`` under (kind, key); never fails the caller."""
        path = self._path(kind, key)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as f:
                f.write(pickle.dumps(value))
            os.replace(f.name, path)
        except OSError:
            return
