"""Superpixels from scikit-image (SLIC or Felzenszwalb), cached per image.

The logic loss sees the same image many times (every epoch, or every iteration when the
pseudo-labeller fine-tunes on one image), so superpixel maps are kept in an LRU cache keyed by
``blake2b(image bytes, shape, method, sorted params)``: the same uint8 pixels with the same
settings never run the segmentation twice, while a different image, a different augmentation
of it, or different settings is a miss. ``SUPERPIXEL_CACHE`` is the process-wide cache;
``SUPERPIXEL_CACHE.hits`` / ``.misses`` count lookups. In training with random crops, the
``ComputeSuperpixels`` pipeline step segments each whole image once and lets the crop carry
the map along, so the loss never segments a new crop.
"""
from __future__ import annotations

import hashlib

import numpy as np
import torch

from wsseg.registry import TRANSFORMS
from wsseg.utils.lru import LRUCache

METHODS = {
    'slic': dict(n_segments=100, compactness=10.0, sigma=1.0),
    'felzenszwalb': dict(scale=100.0, sigma=0.8, min_size=20),
}


def check_method(method: str, params: dict | None = None) -> dict:
    """The full parameter dict for ``method`` (defaults overridden by ``params``).

    Unknown methods or parameter names are a ``ValueError``.
    """
    if method not in METHODS:
        raise ValueError(f'superpixel method {method!r} is not one of {sorted(METHODS)}')
    params = dict(params or {})
    unknown = set(params) - set(METHODS[method])
    if unknown:
        raise ValueError(f'superpixel method {method!r} has no parameter(s) {sorted(unknown)}; '
                         f'it takes {sorted(METHODS[method])}')
    return {**METHODS[method], **params}


def _segment(image: np.ndarray, method: str, params: dict) -> np.ndarray:
    """Run scikit-image on an (H, W, 3) uint8 image; labels (H, W) int64 from 0."""
    from skimage.segmentation import felzenszwalb, slic
    if method == 'slic':
        labels = slic(image, start_label=0, channel_axis=-1, **params)
    else:
        labels = felzenszwalb(image, channel_axis=-1, **params)
    return np.asarray(labels, np.int64)


def to_uint8(image: torch.Tensor) -> np.ndarray:
    """A (3, H, W) float tensor in [0, 1] as an (H, W, 3) uint8 array on the CPU."""
    if image.ndim != 3 or image.shape[0] != 3:
        raise ValueError(f'expected a (3, H, W) image, got shape {tuple(image.shape)}')
    x = (image.detach().float().clamp(0, 1) * 255).round().to(torch.uint8)
    return x.permute(1, 2, 0).cpu().numpy()


class SuperpixelCache(LRUCache):
    """An LRU map from (image bytes, method, params) to read-only superpixel labels."""

    def __init__(self, maxsize: int = 512):
        super().__init__(max_items=maxsize)

    @staticmethod
    def key(image: np.ndarray, method: str, params: dict) -> bytes:
        h = hashlib.blake2b(digest_size=16)
        h.update(np.ascontiguousarray(image).tobytes())
        h.update(repr((image.shape, str(image.dtype), method, sorted(params.items()))).encode())
        return h.digest()

    def get(self, image: np.ndarray, method: str = 'slic', params: dict | None = None) -> np.ndarray:
        """Superpixel labels (H, W) int64 of an (H, W, 3) uint8 image, computed at most once."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f'expected an (H, W, 3) uint8 image, got {image.shape} {image.dtype}')
        params = check_method(method, params)
        return self.get_or_make(self.key(image, method, params), lambda: _segment(image, method, params))


SUPERPIXEL_CACHE = SuperpixelCache()


def superpixel_labels(image: torch.Tensor | np.ndarray, method: str = 'slic', params: dict | None = None,
                cache: SuperpixelCache | None = None) -> np.ndarray:
    """Superpixel labels of one image: a (3, H, W) tensor in [0, 1] or an (H, W, 3) uint8 array."""
    arr = to_uint8(image) if isinstance(image, torch.Tensor) else np.asarray(image)
    return (SUPERPIXEL_CACHE if cache is None else cache).get(arr, method, params)


@TRANSFORMS.register_module()
class ComputeSuperpixels:
    """Pipeline step: superpixels of the whole image into ``results['weak'].superpixels``.

    Put it after ``LoadImage`` / ``LoadWeakLabels`` and before any crop or flip: the map is
    computed once per image (the LRU cache, keyed by the image's bytes, serves every later
    epoch) and then cropped and flipped with the image, so
    :class:`~wsseg.logic.constraints_local.SuperpixelBorder` runs no segmentation in the loss.
    ``method`` / ``params`` as in :func:`check_method`; pick ``n_segments`` for the whole image
    (a 128x128 crop of a 240x180 frame keeps ~38% of its superpixels).
    """

    def __init__(self, method: str = 'slic', params: dict | None = None,
                 cache: SuperpixelCache | None = None):
        self.method, self.params = method, check_method(method, params)
        self.cache = SUPERPIXEL_CACHE if cache is None else cache

    def __call__(self, results: dict) -> dict:
        from wsseg.weak.base import get_weak
        img = np.ascontiguousarray(results['img'])
        get_weak(results).superpixels = self.cache.get(img, self.method, self.params).astype(np.int32)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(method={self.method!r}, params={self.params})'
