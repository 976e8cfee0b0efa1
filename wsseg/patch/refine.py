"""Beyond the paper: pixel masks from a coarse patch map.

- :func:`refine_crf`: the patch probabilities, upsampled bilinearly to pixels, are the unary
  of the mean-field dense CRF of :mod:`wsseg.refine.crf` (patch-seeded CRF);
- :func:`refine_superpixels`: SLIC superpixels (scikit-image), each taking the class with
  the highest mean upsampled probability inside it (superpixel voting).

Both only move class borders inside and between patches; they cannot find a class that the
patch map does not hold in the neighbourhood.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from skimage.segmentation import slic

from wsseg.refine.crf import dense_crf_meanfield
from wsseg.refine.superpixels import segment_means

from .grid import patch_map_to_pixels


def _check(image: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    image, probs = np.asarray(image), np.asarray(probs, np.float32)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f'refine: image must be (H, W, 3) uint8, got {image.shape} {image.dtype}')
    if probs.ndim != 3 or probs.shape[1] > image.shape[0] or probs.shape[2] > image.shape[1]:
        raise ValueError(f'refine: patch probabilities must be (K, rows, cols) with rows <= H and '
                         f'cols <= W, got {probs.shape} for an image {image.shape[:2]}')
    return image, probs


def upsample_probs(probs: np.ndarray, shape: tuple[int, int], mode: str = 'bilinear') -> np.ndarray:
    """(K, rows, cols) -> (K, H, W): ``'nearest'`` paints the cells (array_split), ``'bilinear'``
    interpolates between cell centres."""
    if mode == 'nearest':
        return np.moveaxis(patch_map_to_pixels(np.moveaxis(probs, 0, -1), shape), -1, 0)
    t = torch.from_numpy(np.ascontiguousarray(probs))[None]
    return F.interpolate(t, shape, mode='bilinear', align_corners=False)[0].numpy()


def refine_crf(image: np.ndarray, probs: np.ndarray, n_iters: int = 8, sigma_rgb: float = 10.0,
               sigma_xy: float = 40.0, w_bilateral: float = 6.0, sigma_gauss: float = 2.0,
               w_gauss: float = 2.0, radius: int = 4, dilation: int = 2,
               scale_factor: float = 1.0) -> np.ndarray:
    """(H, W) uint8 labels: mean-field CRF with the upsampled patch probabilities as unary."""
    image, probs = _check(image, probs)
    up = upsample_probs(probs, image.shape[:2])
    img = torch.from_numpy(np.array(image, copy=True)).permute(2, 0, 1)[None]
    q = dense_crf_meanfield(img, torch.from_numpy(up)[None], n_iters, sigma_rgb=sigma_rgb,
                            sigma_xy=sigma_xy, w_bilateral=w_bilateral, sigma_gauss=sigma_gauss,
                            w_gauss=w_gauss, radius=radius, dilation=dilation, scale_factor=scale_factor)
    return q[0].argmax(0).to(torch.uint8).numpy()


def refine_superpixels(image: np.ndarray, probs: np.ndarray, n_segments: int = 300,
                       compactness: float = 10.0) -> np.ndarray:
    """(H, W) uint8 labels: each SLIC superpixel takes its highest mean upsampled probability."""
    image, probs = _check(image, probs)
    up = upsample_probs(probs, image.shape[:2])
    seg = slic(image, n_segments=n_segments, compactness=compactness, start_label=0)
    return segment_means(seg, up.reshape(up.shape[0], -1).T).argmax(1)[seg].astype(np.uint8)


def coarse_pixels(probs: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(H, W) uint8: each pixel takes its patch's class (the unrefined patch map)."""
    return patch_map_to_pixels(np.asarray(probs).argmax(0), shape).astype(np.uint8)
