"""Cross-image refinement of tag pseudo-masks: one superpixel classifier over the whole train set.

A CAM looks at one image. It cannot tell sheep from the grass they always stand on, since the
tag "sheep" never comes without "grass". Other images can: grass also stands beside cows and
roads, and it looks the same there. This step is the multi-image model of the classic tags-only
methods on MSRC-21 (Vezhnevets & Buhmann, CVPR 2010/2011), made small:

1. each train image is cut into SLIC superpixels (scikit-image); each superpixel gets a feature
   vector: colour (mean, spread and an ab histogram in CIE-Lab), texture (a local-binary-pattern
   histogram), position, and, when given, the CAM classifier's trunk features pooled over it;
2. every superpixel starts with the tag its pooled CAM ranks first;
3. hard EM (mi-SVM style): a linear softmax classifier over *all* images' superpixels learns
   the current labels against all K classes (so a green superpixel labelled "grass" in a cow
   image argues against "sheep" for green superpixels in sheep images); each superpixel then
   takes the tag of its own image that the classifier (plus ``cam_weight`` x the log pooled CAM)
   ranks first, and every tag of an image keeps at least one superpixel. Images are split into
   ``folds``: a superpixel is relabelled by a classifier that did not train on its image, so it
   cannot just repeat it.

Everything here is numpy / torch on the CPU; the train set's superpixels (some 10^5 rows) fit in
memory at once.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from wsseg.refine.superpixels import segment_means

AB_BINS = 4          # ab histogram: AB_BINS x AB_BINS cells over a, b in [-64, 64)
LBP_POINTS = 8       # uniform LBP of radius 1: LBP_POINTS + 2 codes


def superpixel_features(image: np.ndarray, segments: np.ndarray,
                        deep: np.ndarray | None = None) -> np.ndarray:
    """One feature row per superpixel of ``segments`` (labels 0..S-1).

    Args:
        image: (H, W, 3) uint8 RGB.
        segments: (H, W) int superpixel labels, 0..S-1 (scikit-image's ``start_label=0``).
        deep: optional (D, H, W) dense features (e.g. a trunk's output upsampled to the image).
    Returns:
        (S, F) float32: Lab mean (3), Lab std (3), ab histogram (AB_BINS^2), LBP histogram
        (LBP_POINTS + 2), centre (y, x in [0, 1]), then the mean of ``deep`` (D).
    """
    from skimage.color import rgb2gray, rgb2lab
    from skimage.feature import local_binary_pattern
    image, segments = np.asarray(image), np.asarray(segments, np.int64)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f'superpixel_features: image must be (H, W, 3) uint8, got {image.shape} {image.dtype}')
    if segments.shape != image.shape[:2] or segments.min() < 0:
        raise ValueError(f'superpixel_features: segments must be (H, W) = {image.shape[:2]} labels >= 0, '
                         f'got {segments.shape}')
    if deep is not None and np.asarray(deep).shape[1:] != image.shape[:2]:
        raise ValueError(f'superpixel_features: deep features must be (D, {image.shape[0]}, {image.shape[1]}), '
                         f'got {np.asarray(deep).shape}')
    h, w = segments.shape
    seg = segments.reshape(-1)
    s = int(seg.max()) + 1

    def mean(values: np.ndarray) -> np.ndarray:          # (N, C) -> (S, C)
        return segment_means(seg, values)

    def histogram(codes: np.ndarray, n: int) -> np.ndarray:  # (N,) ints in [0, n) -> (S, n), rows sum to 1
        counts = np.bincount(seg * n + codes, minlength=s * n).reshape(s, n)
        return counts / np.maximum(counts.sum(1, keepdims=True), 1)

    lab = rgb2lab(image).reshape(-1, 3)
    m = mean(lab)
    std = np.sqrt(np.maximum(mean(lab ** 2) - m ** 2, 0))
    ab = np.clip(((lab[:, 1:] + 64) / 128 * AB_BINS).astype(np.int64), 0, AB_BINS - 1)
    ab_hist = histogram(ab[:, 0] * AB_BINS + ab[:, 1], AB_BINS ** 2)
    gray = (rgb2gray(image) * 255).astype(np.uint8)
    lbp = local_binary_pattern(gray, LBP_POINTS, 1, method='uniform').astype(np.int64).reshape(-1)
    lbp_hist = histogram(lbp, LBP_POINTS + 2)
    yy, xx = np.mgrid[0:h, 0:w]
    pos = mean(np.stack([yy.reshape(-1) / max(h - 1, 1), xx.reshape(-1) / max(w - 1, 1)], 1))
    parts = [m, std, ab_hist, lbp_hist, pos]
    if deep is not None:
        deep = np.asarray(deep, np.float32)
        parts.append(mean(deep.reshape(deep.shape[0], -1).T))
    return np.concatenate(parts, 1).astype(np.float32)


def dense_trunk_features(trunk: torch.nn.Module, x: torch.Tensor, size: tuple[int, int],
                         scale: float = 1.0) -> np.ndarray:
    """(D, h, w) float32 features of ``trunk`` on the normalised input ``x`` (1, 3, H, W), run at
    ``scale`` and upsampled (bilinear) to the image ``size`` (h, w)."""
    if scale != 1:
        x = F.interpolate(x, scale_factor=scale, mode='bilinear', align_corners=False)
    with torch.no_grad():
        deep = F.interpolate(trunk(x), size, mode='bilinear', align_corners=False)
    return deep[0].float().cpu().numpy()


def image_superpixels(image: np.ndarray, tag_cams: np.ndarray, deep: np.ndarray | None = None,
                      n_segments: int = 300) -> dict[str, np.ndarray]:
    """One image's share of the cross-image step.

    Args:
        image: (H, W, 3) uint8 RGB; tag_cams: (T, H, W) CAMs of its tags; deep: optional
            (D, H, W) dense features (:func:`dense_trunk_features`).
    Returns:
        ``segments`` (H, W) SLIC labels 0..S-1, ``features`` (S, F) (:func:`superpixel_features`),
        ``cams`` (S, T) the tag CAMs pooled over each superpixel, ``areas`` (S,) pixel counts.
    """
    from wsseg.logic.superpixels import superpixel_labels
    tag_cams = np.asarray(tag_cams)
    if tag_cams.ndim != 3 or tag_cams.shape[1:] != image.shape[:2]:
        raise ValueError(f'image_superpixels: tag CAMs must be (T, {image.shape[0]}, {image.shape[1]}), '
                         f'got {tag_cams.shape}')
    seg = superpixel_labels(image, 'slic', dict(n_segments=n_segments))
    seg = np.unique(seg, return_inverse=True)[1].reshape(seg.shape)      # labels 0..S-1
    return dict(segments=seg, features=superpixel_features(image, seg, deep),
                cams=segment_means(seg, tag_cams.reshape(len(tag_cams), -1).T).astype(np.float32),
                areas=np.bincount(seg.reshape(-1)))


def _fit(x: torch.Tensor, y: torch.Tensor, weight: torch.Tensor, num_classes: int, steps: int,
         weight_decay: float) -> torch.nn.Linear:
    """Weighted softmax regression over all K classes (full-batch Adam)."""
    torch.manual_seed(0)
    clf = torch.nn.Linear(x.shape[1], num_classes)
    opt = torch.optim.Adam(clf.parameters(), lr=0.05, weight_decay=weight_decay)
    with torch.enable_grad():       # callers may run under no_grad (inference scripts)
        for _ in range(steps):
            opt.zero_grad()
            loss = (F.cross_entropy(clf(x), y, reduction='none') * weight).sum() / weight.sum()
            loss.backward()
            opt.step()
    return clf


def cross_image_labels(features: Sequence[np.ndarray], cam_scores: Sequence[np.ndarray],
                       tags: Sequence[Sequence[int]], areas: Sequence[np.ndarray], num_classes: int,
                       rounds: int = 5, folds: int = 2, cam_weight: float = 0.5, steps: int = 150,
                       weight_decay: float = 1e-3) -> list[np.ndarray]:
    """Hard-EM labels of every superpixel of every image (see the module docstring).

    Args:
        features: per image, (S_i, F) superpixel features (:func:`superpixel_features`).
        cam_scores: per image, (S_i, T_i) pooled CAM scores of its tags, in the order of ``tags``.
        tags: per image, its T_i class indices.
        areas: per image, (S_i,) pixel counts: each superpixel weighs by its area, each class by
            the inverse of its total area (so small classes are not swamped by grass and sky).
        num_classes: K.
        rounds: EM rounds (0 returns the CAM's own superpixel labels).
        folds: the images are split into this many folds by index; each fold is relabelled by the
            classifier trained on the others (1: one classifier on everything).
        cam_weight: weight of log(pooled CAM) beside the classifier's log-probability.
    Returns:
        per image, (S_i,) int64 class labels, each one of the image's tags.
    """
    n = len(features)
    if not (len(cam_scores) == len(tags) == len(areas) == n):
        raise ValueError('cross_image_labels: features, cam_scores, tags and areas need one entry per image')
    if n < max(folds, 1) or folds < 1:
        raise ValueError(f'cross_image_labels: {n} images cannot be split into {folds} folds')
    tags = [np.asarray(t, np.int64).reshape(-1) for t in tags]
    for i, (f, c, t) in enumerate(zip(features, cam_scores, tags)):
        if t.size == 0:
            raise ValueError(f'cross_image_labels: image {i} has no tags')
        if c.shape != (f.shape[0], t.size):
            raise ValueError(f'cross_image_labels: image {i}: cam_scores {c.shape} but {f.shape[0]} '
                             f'superpixels and {t.size} tags')
    x = torch.from_numpy(np.concatenate(features)).float()
    x = (x - x.mean(0)) / x.std(0).clamp_min(1e-6)
    image_of = np.concatenate([np.full(len(f), i) for i, f in enumerate(features)])
    allowed = torch.zeros(len(x), num_classes, dtype=torch.bool)
    prior = torch.full((len(x), num_classes), float('-inf'))
    start = 0
    for f, c, t in zip(features, cam_scores, tags):
        rows = slice(start, start + len(f))
        allowed[rows, torch.from_numpy(t)] = True
        prior[rows, torch.from_numpy(t)] = torch.from_numpy(np.log(np.maximum(c, 1e-3))).float()
        start += len(f)
    area = torch.from_numpy(np.concatenate(areas)).double()
    labels = prior.argmax(1)
    fold_of = torch.from_numpy(image_of % folds)
    for _ in range(rounds):
        class_area = torch.bincount(labels, weights=area, minlength=num_classes)
        weight = (area / class_area[labels].clamp_min(1)).float()
        logp = torch.empty(len(x), num_classes)
        for k in range(folds):
            train = fold_of != k if folds > 1 else torch.ones(len(x), dtype=torch.bool)
            test = fold_of == k if folds > 1 else train
            clf = _fit(x[train], labels[train], weight[train], num_classes, steps, weight_decay)
            with torch.no_grad():
                logp[test] = clf(x[test]).masked_fill(~allowed[test], float('-inf')).log_softmax(1)
        score = logp + cam_weight * prior.masked_fill(~allowed, 0)
        labels = score.argmax(1)
        _keep_every_tag(labels, score, image_of, tags)
    out, start = [], 0
    for f in features:
        out.append(labels[start:start + len(f)].numpy().astype(np.int64))
        start += len(f)
    return out


def _keep_every_tag(labels: torch.Tensor, score: torch.Tensor, image_of: np.ndarray,
                    tags: Sequence[np.ndarray]) -> None:
    """In place: a tag of an image that lost all its superpixels takes back the one that scores it
    highest (each tag names a class present somewhere in the image)."""
    for i, t in enumerate(tags):
        rows = torch.from_numpy(np.flatnonzero(image_of == i))
        present = set(labels[rows].tolist())
        for c in t.tolist():
            if c not in present and len(rows) > len(present):
                free = rows[torch.bincount(labels[rows], minlength=score.shape[1])[labels[rows]] > 1]
                r = free[score[free, c].argmax()]
                labels[r] = c
                present.add(c)
