"""A bounded, thread-safe mapping that forgets the least recently used entry.

The replay cache (states by schedule prefix) and the search cache (explorer answers) are
both this; a hit makes its entry the most recently used.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any


class Lru:
    """At most ``size`` entries; ``get`` of a missing key is None, so None is not a value."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"an Lru holds at least one entry, got size {size}")
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
