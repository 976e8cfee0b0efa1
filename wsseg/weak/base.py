"""Weak-label source plugin API and the ``LoadWeakLabels`` pipeline transform.

A weak-label source is a class registered in ``WEAK_LABELS`` with a ``kind`` and a
``__call__(results) -> None`` that reads one sample dict (the data-info keys documented in
``wsseg.datasets.base`` plus ``img``, ``img_shape``, ``classes`` and, when loaded,
``gt_seg_map``) and adds its annotations to ``results['weak']``. ``LoadWeakLabels`` runs a
list of sources, configured as dicts, in order. See ``docs/weak_label_plugins.md``.
"""
from __future__ import annotations

import hashlib
import zlib

import numpy as np

from wsseg.registry import TRANSFORMS, WEAK_LABELS
from wsseg.structures import IGNORE, WeakLabels
from wsseg.utils.io import DataError
from wsseg.utils.lru import LRUCache

SIMULATION_CACHE_BYTES = 256 << 20   # simulated weak labels kept per source and worker process


def get_weak(results: dict) -> WeakLabels:
    """``results['weak']``, created empty (size ``img_shape``, source ``img_path``) if absent."""
    weak = results.get('weak')
    if weak is None:
        if 'img_shape' not in results:
            raise DataError(f"{results.get('img_path', '<sample>')}: no img_shape in the sample; "
                            'load the image (LoadImage) before the weak labels')
        weak = WeakLabels(image_size=tuple(results['img_shape'][:2]),
                          source=str(results.get('img_path', '')))
        results['weak'] = weak
    return weak


def image_rng(seed: int, results: dict, kind: str) -> np.random.Generator:
    """A generator that depends only on (seed, image id, kind): same image, same labels.

    The image id is ``img_id`` (else ``img_path``), hashed with ``zlib.crc32`` so the stream
    does not depend on the order in which images are loaded or on the worker.
    """
    key = str(results.get('img_id') or results.get('img_path', ''))
    return np.random.default_rng([int(seed), zlib.crc32(key.encode()), zlib.crc32(kind.encode())])


class WeakLabelSource:
    """Base class of weak-label sources. Subclasses set ``kind`` and implement ``__call__``.

    ``simulate=True`` derives the labels from the full mask ``gt_seg_map`` (seeded per image
    by ``seed``) instead of reading them from the data info.
    """

    kind: str = ''

    def __init__(self, simulate: bool = False, seed: int = 0):
        self.simulate = bool(simulate)
        self.seed = int(seed)

    def __call__(self, results: dict) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f'{type(self).__name__}(simulate={self.simulate}, seed={self.seed})'

    # ------------------------------------------------------------ helpers for subclasses
    def gt_mask(self, results: dict) -> np.ndarray:
        """The loaded full mask, or a DataError that says what to put in the pipeline."""
        gt = results.get('gt_seg_map')
        if gt is None:
            raise DataError(f"{results.get('img_path', '<sample>')}: {type(self).__name__} is asked to "
                            'simulate weak labels but no full mask (gt_seg_map) is loaded; put '
                            'LoadMask before LoadWeakLabels, or use a dataset with masks')
        return np.asarray(gt)

    def rng(self, results: dict) -> np.random.Generator:
        return image_rng(self.seed, results, self.kind)

    def simulated(self, results: dict, make):
        """``make()`` (a simulation from the full mask), remembered per image: the result only
        depends on the mask, the image id and this source's settings, so later epochs reuse it
        instead of skeletonising or labelling the mask again. The key holds the mask's bytes;
        at most ``SIMULATION_CACHE_BYTES`` are kept (least recently used go first). The caller
        gets copies, so an in-place edit downstream never reaches the cache."""
        gt = np.ascontiguousarray(self.gt_mask(results))
        key = (str(results.get('img_id') or results.get('img_path', '')), gt.shape,
               hashlib.blake2b(gt.tobytes(), digest_size=16).digest())
        cache = self.__dict__.get('_simulated')
        if cache is None:
            cache = self._simulated = LRUCache(max_bytes=SIMULATION_CACHE_BYTES)
        value = cache.get_or_make(key, make)
        return tuple(a.copy() for a in value) if isinstance(value, tuple) else value.copy()

    @staticmethod
    def validate(results: dict) -> WeakLabels:
        """Validate ``results['weak']`` against the sample's classes (DataError naming the file)."""
        classes = results.get('classes') or ()
        return get_weak(results).validate(len(classes) if classes else IGNORE)


def build_source(cfg) -> WeakLabelSource:
    """A source from a config dict (``type`` looked up in WEAK_LABELS) or a ready callable."""
    if isinstance(cfg, dict):
        return WEAK_LABELS.build(dict(cfg))
    if callable(cfg):
        return cfg
    raise ValueError(f'LoadWeakLabels: a source must be a config dict or a callable, got {cfg!r}')


@TRANSFORMS.register_module()
class LoadWeakLabels:
    """Pipeline step: run weak-label sources in order and leave ``results['weak']``.

    ``sources``: list of dicts such as ``dict(type='Scribbles', simulate=True, coverage=0.03)``.
    Needs ``img_shape`` (set by ``LoadImage``) and, for simulating sources, ``gt_seg_map``
    (set by ``LoadMask``).
    """

    def __init__(self, sources: list):
        if not sources:
            raise ValueError('LoadWeakLabels: give at least one source, e.g. '
                             "sources=[dict(type='Tags')]")
        self.sources = [build_source(s) for s in sources]

    def __call__(self, results: dict) -> dict:
        src = results.get('img_path', '<sample>')
        if 'img_shape' not in results:
            raise DataError(f'{src}: LoadWeakLabels needs img_shape; put LoadImage before it')
        for s in self.sources:
            if getattr(s, 'simulate', False) and results.get('gt_seg_map') is None:
                raise DataError(f'{src}: {type(s).__name__}(simulate=True) needs the full mask '
                                '(gt_seg_map); put LoadMask before LoadWeakLabels')
        get_weak(results)
        for s in self.sources:
            s(results)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(sources={self.sources})'
