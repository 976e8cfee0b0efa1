"""Pipeline transforms: plain callables ``results -> results``, registered in TRANSFORMS.

One image's path: ``LoadImage`` -> ``LoadMask`` -> ``LoadWeakLabels`` (wsseg.weak) ->
``Resize`` / ``RandomCrop`` / ``RandomFlip`` -> ``PackSegInputs``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import torch

from wsseg.registry import TRANSFORMS
from wsseg.structures import IGNORE, WeakLabels
from wsseg.utils.io import DataError, check_mask, read_image, read_mask


@dataclass
class SegSample:
    """What the model receives per image beside its input tensor."""
    img_path: str
    img_id: str
    ori_shape: tuple[int, int]
    img_shape: tuple[int, int]
    gt: torch.Tensor | None = None          # (H, W) long, full truth when known (evaluation)
    target: torch.Tensor | None = None      # (H, W) long, training target, 255 = unlabelled
    weak: WeakLabels | None = None
    pred: torch.Tensor | None = None        # (H, W) long, set by predict
    extra: dict = field(default_factory=dict)


@TRANSFORMS.register_module()
class LoadImage:
    """Read ``img_path`` as RGB uint8 (errors name the file)."""

    def __call__(self, results: dict) -> dict:
        img = read_image(results['img_path'])
        results['img'] = img
        results['img_shape'] = results['ori_shape'] = img.shape[:2]
        return results


@TRANSFORMS.register_module()
class LoadMask:
    """Read the full mask ``seg_map_path`` into ``gt_seg_map``; check size and class range.

    ``seg_map_decoder`` in the data info names a decoder for masks that are not class-index
    images (e.g. SUIM's RGB codes). A sample without a mask passes through when
    ``optional=True``.
    """

    def __init__(self, optional: bool = False):
        self.optional = optional

    def __call__(self, results: dict) -> dict:
        path = results.get('seg_map_path')
        k = len(results.get('classes', ())) or None
        if path is None:
            if 'semantic_mask_fn' in results:   # formats without mask files (COCO)
                mask = results['semantic_mask_fn'](results)
                check_mask(mask, results['img_path'], k, results['img_shape'])
                results['gt_seg_map'] = mask
                return results
            if self.optional:
                return results
            raise DataError(f"{results['img_path']}: no mask (seg_map_path) for this image")
        decoder = results.get('seg_map_decoder')
        if decoder:
            from wsseg.datasets.folder import MASK_DECODERS
            mask = MASK_DECODERS[decoder](read_image(path))
            check_mask(mask, path, k, results['img_shape'])
        else:
            mask = read_mask(path, k, results['img_shape'])
        results['gt_seg_map'] = mask
        return results


def _resize_img(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return cv2.resize(img, (size[1], size[0]), interpolation=cv2.INTER_LINEAR)


def _resize_mask(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return cv2.resize(mask, (size[1], size[0]), interpolation=cv2.INTER_NEAREST)


@TRANSFORMS.register_module()
class Resize:
    """Resize to ``scale`` = (H, W), or so the short side is ``short_side`` (keeps ratio)."""

    def __init__(self, scale: tuple[int, int] | None = None, short_side: int | None = None):
        if (scale is None) == (short_side is None):
            raise ValueError('Resize: give exactly one of scale=(H, W) or short_side')
        self.scale, self.short_side = scale, short_side

    def __call__(self, results: dict) -> dict:
        size = tuple(self.scale) if self.scale is not None else short_side_size(results, self.short_side)
        return resize_results(results, size)


def short_side_size(results: dict, short_side: int) -> tuple[int, int]:
    """(H, W) of ``results['img']`` scaled so its short side is ``short_side`` (ratio kept)."""
    h, w = results['img'].shape[:2]
    r = short_side / min(h, w)
    return max(1, round(h * r)), max(1, round(w * r))


def resize_results(results: dict, size: tuple[int, int]) -> dict:
    """Resize the image (bilinear), its masks and weak labels (nearest) to ``size`` = (H, W)."""
    results['img'] = _resize_img(results['img'], size)
    for key in ('gt_seg_map', 'target_map'):
        if key in results:
            results[key] = _resize_mask(results[key], size)
    if results.get('weak') is not None:
        results['weak'] = results['weak'].resize(size)
    results['img_shape'] = size
    return results


@TRANSFORMS.register_module()
class RandomResize:
    """Multi-scale training: the short side is drawn uniformly from ``short_side=(lo, hi)`` pixels.

    The scale augmentation of WSSS classifiers (IRN, AffinityNet: 0.5-1.5x): CAMs are then
    computed at several scales, so the classifier should have seen objects at several sizes.
    """

    def __init__(self, short_side: tuple[int, int]):
        lo, hi = (int(v) for v in short_side)
        if not 0 < lo <= hi:
            raise ValueError(f'RandomResize: short_side must be (lo, hi) with 0 < lo <= hi, got {short_side}')
        self.short_side = (lo, hi)

    def __call__(self, results: dict) -> dict:
        side = int(np.random.randint(self.short_side[0], self.short_side[1] + 1))
        return resize_results(results, short_side_size(results, side))


@TRANSFORMS.register_module()
class RandomCrop:
    """Random ``size`` = (H, W) crop; pads (image 0, masks 255) when the image is smaller."""

    def __init__(self, size: tuple[int, int]):
        self.size = tuple(size)

    def __call__(self, results: dict) -> dict:
        ch, cw = self.size
        img = results['img']
        h, w = img.shape[:2]
        ph, pw = max(ch - h, 0), max(cw - w, 0)
        if ph or pw:
            results['img'] = np.pad(img, ((0, ph), (0, pw), (0, 0)))
            for key in ('gt_seg_map', 'target_map'):
                if key in results:
                    results[key] = np.pad(results[key], ((0, ph), (0, pw)), constant_values=IGNORE)
            if results.get('weak') is not None:
                weak = results['weak']
                if weak.scribbles is not None:
                    weak.scribbles = np.pad(weak.scribbles, ((0, ph), (0, pw)), constant_values=IGNORE)
                if weak.superpixels is not None:
                    weak.superpixels = np.pad(weak.superpixels, ((0, ph), (0, pw)), constant_values=-1)
                weak.image_size = (h + ph, w + pw)
            h, w = h + ph, w + pw
        y0 = np.random.randint(0, h - ch + 1)
        x0 = np.random.randint(0, w - cw + 1)
        results['img'] = results['img'][y0:y0 + ch, x0:x0 + cw]
        for key in ('gt_seg_map', 'target_map'):
            if key in results:
                results[key] = results[key][y0:y0 + ch, x0:x0 + cw]
        if results.get('weak') is not None:
            results['weak'] = results['weak'].crop(y0, x0, ch, cw)
        results['img_shape'] = (ch, cw)
        return results


@TRANSFORMS.register_module()
class RandomFlip:
    """Horizontal flip with probability ``prob``."""

    def __init__(self, prob: float = 0.5):
        self.prob = prob

    def __call__(self, results: dict) -> dict:
        if np.random.rand() < self.prob:
            results['img'] = results['img'][:, ::-1]
            for key in ('gt_seg_map', 'target_map'):
                if key in results:
                    results[key] = results[key][:, ::-1]
            if results.get('weak') is not None:
                results['weak'] = results['weak'].flip_horizontal()
        return results


@TRANSFORMS.register_module()
class PackSegInputs:
    """Pack into ``dict(inputs=uint8 CHW tensor, data_samples=SegSample)``.

    ``target`` picks the training target: ``'gt'`` (full mask), ``'partial'`` (scribbles and
    points of ``weak``, 255 elsewhere), or ``'none'``.
    """

    def __init__(self, target: str = 'gt'):
        if target not in ('gt', 'partial', 'none'):
            raise ValueError(f"PackSegInputs: target must be 'gt', 'partial' or 'none', got {target!r}")
        self.target = target

    def __call__(self, results: dict) -> dict:
        img = np.array(results['img'], copy=True)   # PIL arrays are read-only
        gt = results.get('gt_seg_map')
        weak = results.get('weak')
        target = None
        if self.target == 'gt':
            if gt is None:
                raise DataError(f"{results['img_path']}: target='gt' but no mask was loaded")
            target = gt
        elif self.target == 'partial':
            if weak is None:
                raise DataError(f"{results['img_path']}: target='partial' but no weak labels were loaded")
            target = weak.partial_mask()
        as_long = (lambda m: None if m is None else torch.from_numpy(np.ascontiguousarray(m)).long())
        sample = SegSample(img_path=str(results['img_path']), img_id=str(results.get('img_id', '')),
                           ori_shape=tuple(results['ori_shape']), img_shape=tuple(img.shape[:2]),
                           gt=as_long(gt), target=as_long(target), weak=weak)
        return dict(inputs=torch.from_numpy(img).permute(2, 0, 1).contiguous(), data_samples=sample)
