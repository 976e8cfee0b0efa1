"""Class weights for a second stage's cross-entropy, from the mask folder it trains on.

Median frequency balancing (Eigen & Fergus, ICCV 2015; SegNet's CamVid recipe): the frequency of
class c is its pixels over the pixels of the images where c appears, and its weight is the
median of those frequencies over the classes present divided by its own. Rare classes weigh
more, so mean class accuracy (mAcc, the MSRC-21 figure) counts them as the metric does. Read by
``tools/class_weights.py``; the weights go to ``ClassWeightedCrossEntropyLoss`` (mmseg,
``wsseg/stage2/losses.py``) or to wsseg's ``PartialCrossEntropy`` as ``class_weight``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from mmengine.utils import ProgressBar

from wsseg.structures import IGNORE
from wsseg.utils.io import DataError, read_mask


def class_frequencies(folder: str | Path, num_classes: int, progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Per class: its pixel count, and the pixel count of the images it appears in (255 left out)."""
    paths = sorted(Path(folder).glob('*.png'))
    if not paths:
        raise DataError(f'{folder}: no .png masks to count classes in')
    pixels, image_pixels = np.zeros(num_classes, np.int64), np.zeros(num_classes, np.int64)
    bar = ProgressBar(len(paths)) if progress else None
    for p in paths:
        mask = read_mask(p, num_classes)             # names the file if a value is >= num_classes
        counts = np.bincount(mask[mask != IGNORE].ravel(), minlength=num_classes)[:num_classes]
        pixels += counts
        image_pixels[counts > 0] += counts.sum()
        if bar:
            bar.update()
    return pixels, image_pixels


def median_frequency_weights(pixels: np.ndarray, image_pixels: np.ndarray) -> np.ndarray:
    """Median frequency balancing; a class that never appears gets weight 0 (it is never a target)."""
    present = pixels > 0
    if not present.any():
        raise ValueError('median_frequency_weights: no class appears in the masks')
    freq = np.zeros(len(pixels), np.float64)
    freq[present] = pixels[present] / image_pixels[present]
    weights = np.zeros(len(pixels), np.float64)
    weights[present] = np.median(freq[present]) / freq[present]
    return weights
