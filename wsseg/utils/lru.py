"""A least-recently-used map for values that are costly to compute and cheap to keep.

Both caches of per-image work use it: superpixel labels (``wsseg.logic.superpixels``) and weak
labels simulated from a full mask (``wsseg.weak.base``). Stored arrays are made read-only, so an
in-place edit by a caller raises instead of silently changing what the next epoch reads.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Hashable

import numpy as np


def freeze(value: Any) -> Any:
    """Mark ``value``'s arrays (a single array or a tuple/list of them) read-only, in place."""
    for a in (value if isinstance(value, (tuple, list)) else (value,)):
        if isinstance(a, np.ndarray):
            a.setflags(write=False)
    return value


def nbytes(value: Any) -> int:
    """Bytes held by ``value``'s arrays (a single array or a tuple/list of them)."""
    return sum(a.nbytes for a in (value if isinstance(value, (tuple, list)) else (value,))
               if isinstance(a, np.ndarray))


class LRUCache:
    """A map bounded by entry count, by the bytes of its arrays, or both (``None``: no bound).

    The most recent entry is always kept, even when it alone is over ``max_bytes``.
    """

    def __init__(self, max_items: int | None = None, max_bytes: int | None = None):
        self.max_items = None if max_items is None else int(max_items)
        self.max_bytes = None if max_bytes is None else int(max_bytes)
        self._store: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    def get_or_make(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """The value under ``key``; on a miss, ``make()``, frozen and stored."""
        if key in self._store:
            self.hits += 1
            self._store.move_to_end(key)
            return self._store[key][0]
        self.misses += 1
        value = freeze(make())
        size = nbytes(value)
        self._store[key] = (value, size)
        self.bytes += size
        while len(self._store) > 1 and self._over():
            self.bytes -= self._store.popitem(last=False)[1][1]
        return value

    def _over(self) -> bool:
        return ((self.max_items is not None and len(self._store) > self.max_items)
                or (self.max_bytes is not None and self.bytes > self.max_bytes))

    def clear(self) -> None:
        self._store.clear()
        self.bytes = self.hits = self.misses = 0

    def __contains__(self, key: Hashable) -> bool:
        return key in self._store

    def __len__(self) -> int:
        return len(self._store)
