"""The on-disk embedding cache: hits, misses, stale keys (corrupt files:
tests/reliability/test_bad_inputs.py)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from wsseg.models.sam import build_sam_from_cfg, preprocess_image
from wsseg.models.sam_cache import EmbeddingCache, preprocessing_key, sam_model_key

from .conftest import TINY_SAM


@pytest.fixture
def sam():
    return build_sam_from_cfg(dict(TINY_SAM))


def counting(sam, img, calls):
    def compute():
        calls.append(1)
        return sam.image_encoder(preprocess_image(sam, img))
    return compute


def image(seed=0):
    return np.random.default_rng(seed).integers(0, 255, (40, 64, 3), dtype=np.uint8)


@torch.no_grad()
def test_miss_then_hit(tmp_path, sam):
    cache, calls, img = EmbeddingCache.for_sam(tmp_path, sam), [], image()
    a = cache.get(img, counting(sam, img, calls))
    b = cache.get(img, counting(sam, img, calls))
    assert len(calls) == 1 and (cache.hits, cache.misses) == (1, 1)
    assert torch.equal(a, b) and a.shape == (16, 8, 8)
    assert cache.path(cache.key(img)).is_file()
    fresh = EmbeddingCache.for_sam(tmp_path, sam)          # a new process: read from disk
    assert torch.equal(fresh.get(img, counting(sam, img, calls)), a) and len(calls) == 1


@torch.no_grad()
def test_stale_entries_are_not_used(tmp_path, sam):
    img, calls = image(), []
    EmbeddingCache.for_sam(tmp_path, sam).get(img, counting(sam, img, calls))
    other = build_sam_from_cfg(dict(TINY_SAM, seed=5))     # other weights
    assert sam_model_key(other) != sam_model_key(sam)
    c2 = EmbeddingCache.for_sam(tmp_path, other)
    c2.get(img, counting(other, img, calls))
    assert c2.misses == 1 and c2.hits == 0 and len(calls) == 2
    c3 = EmbeddingCache(tmp_path, sam_model_key(sam), preprocessing_key(sam) + ';other-mean')
    c3.get(img, counting(sam, img, calls))
    assert c3.misses == 1 and len(calls) == 3
    changed = img.copy()
    changed[0, 0, 0] ^= 1                                   # one bit of the image
    c4 = EmbeddingCache.for_sam(tmp_path, sam)
    c4.get(changed, counting(sam, changed, calls))
    assert c4.misses == 1 and len(calls) == 4
    assert len({c.key(img) for c in (c2, c3, c4)} | {c4.key(changed)}) == 4


def test_no_folder_always_computes(sam):
    cache, calls, img = EmbeddingCache.for_sam(None, sam), [], image()
    with torch.no_grad():
        cache.get(img, counting(sam, img, calls))
        cache.get(img, counting(sam, img, calls))
    assert len(calls) == 2 and cache.hits == 0
