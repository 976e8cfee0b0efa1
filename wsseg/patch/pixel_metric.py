"""``PatchPixelMetric``: patch mIoU, and pixel mIoU of the patch map painted and refined.

For frames whose pixel truth is known (the synthetic seagrass frames), each predicted patch map
(``extra['probs']``, K x rows x cols) is turned into a pixel mask by every method asked for and
scored against ``<mask_dir>/<img_id>.png``:

- ``coarse``: each pixel takes its patch's class (the patch map as it is);
- ``crf``: patch-seeded dense CRF (:func:`wsseg.patch.refine.refine_crf`);
- ``superpixels``: SLIC superpixel voting (:func:`wsseg.patch.refine.refine_superpixels`);
- ``sam``: SAM prompted by the patch map (:class:`wsseg.patch.sam_refine.SamPatchRefiner`),
  added when ``sam`` (a SAM config) is given.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from wsseg.evaluation.confusion import _numpy, confusion_matrix, scores_from_confusion
from wsseg.evaluation.confusion_metric import resolve_classes, sample_field
from wsseg.registry import METRICS
from wsseg.utils.io import DataError, read_image, read_mask

from .refine import coarse_pixels, refine_crf, refine_superpixels

METHODS = ('coarse', 'crf', 'superpixels', 'sam')


@METRICS.register_module()
class PatchPixelMetric(BaseMetric):
    """Returns ``patch_mIoU`` and ``pixel_mIoU.<method>`` in percent.

    Args:
        mask_dir: folder of pixel truth PNGs named ``<img_id>.png`` (class index per pixel).
        methods: pixel methods among ``coarse``, ``crf``, ``superpixels`` (``sam`` is added when
            ``sam`` is given).
        sam: SAM config for :class:`~wsseg.patch.sam_refine.SamPatchRefiner`; a missing
            checkpoint fails here, before any frame is scored, with the file named.
        crf / superpixels: keyword arguments of the refiners.
        background_index: background class for SAM prompts (default: the last class).
    """

    def __init__(self, mask_dir: str, methods: Sequence[str] = ('coarse', 'crf', 'superpixels'),
                 sam: dict | None = None, crf: dict | None = None, superpixels: dict | None = None,
                 background_index: int | None = None, num_classes: int | None = None,
                 classes: Sequence[str] | None = None, ignore_index: int = 255,
                 collect_device: str = 'cpu', prefix: str | None = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        methods = list(methods) + (['sam'] if sam is not None and 'sam' not in methods else [])
        unknown = [m for m in methods if m not in METHODS]
        if unknown:
            raise ValueError(f'PatchPixelMetric: unknown methods {unknown}; expected some of {METHODS}')
        if 'sam' in methods and sam is None:
            raise ValueError("PatchPixelMetric: method 'sam' needs sam=dict(type='vit_b', checkpoint=...)")
        self.mask_dir = Path(mask_dir)
        self.num_classes, self.classes, self.ignore_index = num_classes, classes, ignore_index
        self.refiners: dict[str, Callable] = {}
        for m in methods:
            self.refiners[m] = self._refiner(m, sam, crf or {}, superpixels or {}, background_index)

    @staticmethod
    def _refiner(method: str, sam, crf: dict, sp: dict, bg: int | None) -> Callable:
        if method == 'coarse':
            return lambda img, probs: coarse_pixels(probs, img.shape[:2])
        if method == 'crf':
            return lambda img, probs: refine_crf(img, probs, **crf)
        if method == 'superpixels':
            return lambda img, probs: refine_superpixels(img, probs, **sp)
        from .sam_refine import SamPatchRefiner
        return SamPatchRefiner(sam, background_index=bg)

    def process(self, data_batch: Any, data_samples: Sequence) -> None:
        k, _ = resolve_classes(self.num_classes, self.classes, self._dataset_meta, type(self).__name__)
        for s in data_samples:
            probs = (sample_field(s, 'extra') or {}).get('probs')
            path, fid = sample_field(s, 'img_path'), sample_field(s, 'img_id')
            if probs is None:
                raise ValueError(f'PatchPixelMetric: {path}: the prediction holds no extra["probs"]')
            mask_path = self.mask_dir / f'{fid}.png'
            if not mask_path.is_file():
                raise DataError(f'{path}: pixel truth {mask_path} not found')
            img, truth, probs = read_image(path), read_mask(mask_path), _numpy(probs).astype(np.float32)
            if truth.shape != img.shape[:2]:
                raise DataError(f'{mask_path}: mask {truth.shape} does not match the frame {img.shape[:2]}')
            rec = {m: confusion_matrix(f(img, probs), truth, k, self.ignore_index)
                   for m, f in self.refiners.items()}
            gt = sample_field(s, 'gt_label')
            if gt is not None:
                rec['patch'] = confusion_matrix(_numpy(sample_field(s, 'pred_label')), _numpy(gt), k,
                                                self.ignore_index)
            self.results.append(rec)

    def compute_metrics(self, results: list) -> dict:
        out = {}
        for key in ['patch', *self.refiners]:
            cms = [r[key] for r in results if key in r]
            if cms:
                name = 'patch_mIoU' if key == 'patch' else f'pixel_mIoU.{key}'
                out[name] = 100 * float(scores_from_confusion(sum(cms))['mIoU'])
        return out
