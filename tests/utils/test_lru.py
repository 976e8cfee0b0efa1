"""The shared LRU cache: bounds by count and by bytes, eviction order, frozen values."""
from __future__ import annotations

import numpy as np
import pytest

from wsseg.utils.lru import LRUCache


def counted(calls: list, value):
    return lambda: calls.append(1) or value


def test_count_bound_evicts_least_recently_used():
    cache, calls = LRUCache(max_items=2), []
    for k in 'ab':
        cache.get_or_make(k, counted(calls, np.zeros(1)))
    cache.get_or_make('a', counted(calls, np.zeros(1)))          # 'a' is now the most recent
    cache.get_or_make('c', counted(calls, np.zeros(1)))          # evicts 'b', not 'a'
    assert 'a' in cache and 'c' in cache and 'b' not in cache
    assert len(calls) == 3 and cache.hits == 1 and cache.misses == 3


def test_byte_bound_counts_every_array_of_a_tuple_and_keeps_the_newest():
    cache = LRUCache(max_bytes=100)
    cache.get_or_make('a', lambda: (np.zeros(5, np.int64), np.zeros(5, np.int64)))   # 80 bytes
    assert cache.bytes == 80
    cache.get_or_make('b', lambda: np.zeros(4, np.int64))                           # 112 > 100
    assert 'a' not in cache and len(cache) == 1 and cache.bytes == 32
    cache.get_or_make('big', lambda: np.zeros(50, np.int64))                        # alone over
    assert list(cache._store) == ['big'] and cache.bytes == 400


def test_values_are_read_only_and_clear_resets():
    cache = LRUCache()
    boxes, labels = cache.get_or_make('k', lambda: (np.ones((2, 4)), np.arange(2)))
    with pytest.raises(ValueError, match='read-only'):
        boxes[0, 0] = 5
    assert not labels.flags.writeable
    cache.clear()
    assert len(cache) == 0 and cache.bytes == cache.hits == cache.misses == 0
