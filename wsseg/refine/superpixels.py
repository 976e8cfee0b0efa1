"""Superpixel pooling of class scores (scikit-image SLIC / Felzenszwalb).

A CAM is smooth and blind to edges; a superpixel follows them. Averaging each class's score over
every superpixel, then taking the argmax per superpixel, snaps a pseudo-mask to image edges:
every superpixel becomes one class. ``threshold`` keeps only superpixels whose pooled top score
reaches it (the rest 255 = undecided), as for CAM seeds.
"""
from __future__ import annotations

import numpy as np

from wsseg.logic.superpixels import superpixel_labels
from wsseg.structures import IGNORE


def segment_means(segments: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Mean of (N, C) per-pixel ``values`` over each label of the (N,) ``segments`` (ints 0..S-1):
    (S, C) float64; a label with no pixel gets 0."""
    seg = np.asarray(segments, np.int64).reshape(-1)
    s = int(seg.max()) + 1
    count = np.maximum(np.bincount(seg, minlength=s), 1).astype(np.float64)
    return np.stack([np.bincount(seg, weights=v, minlength=s) for v in np.asarray(values, np.float64).T], 1) \
        / count[:, None]


def pool_scores(segments: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Mean of each (C, H, W) score map over each superpixel of ``segments`` (H, W), broadcast
    back to the pixels: every pixel of a superpixel gets the same C scores."""
    segments, scores = np.asarray(segments), np.asarray(scores, np.float64)
    if scores.ndim != 3 or segments.shape != scores.shape[1:]:
        raise ValueError(f'pool_scores: need segments (H, W) and scores (C, H, W) of the same H, W, '
                         f'got {segments.shape} and {scores.shape}')
    _, inv = np.unique(segments.reshape(-1), return_inverse=True)
    pooled = segment_means(inv, scores.reshape(scores.shape[0], -1).T)
    return pooled[inv].T.reshape(scores.shape).astype(np.float32)


def refine_superpixels(image: np.ndarray, scores: np.ndarray, labels: np.ndarray,
                       threshold: float | None = None, method: str = 'slic',
                       params: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pseudo-mask from class scores pooled over the image's superpixels.

    Args:
        image: (H, W, 3) uint8 RGB.
        scores: (T, H, W) scores of the classes ``labels`` (e.g. the CAMs of an image's tags).
        labels: (T,) class index of each score map.
        threshold: superpixels whose pooled top score is below it become 255; None: none do.
        method / params: see :func:`wsseg.logic.superpixels.check_method`.
    Returns:
        mask (H, W) uint8 (class index or 255), pooled top score (H, W) float32.
    """
    image, labels = np.asarray(image), np.asarray(labels, np.int64).reshape(-1)
    scores = np.asarray(scores, np.float32)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f'refine_superpixels: image must be (H, W, 3) uint8, got {image.shape} {image.dtype}')
    if scores.ndim != 3 or scores.shape[0] != labels.size or scores.shape[1:] != image.shape[:2]:
        raise ValueError(f'refine_superpixels: need (T, H, W) scores for T = {labels.size} labels on a '
                         f'{image.shape[:2]} image, got {scores.shape}')
    pooled = pool_scores(superpixel_labels(image, method, params), scores)
    top = pooled.max(0)
    mask = labels[pooled.argmax(0)].astype(np.uint8)
    if threshold is not None:
        mask[top < threshold] = IGNORE
    return mask, top
