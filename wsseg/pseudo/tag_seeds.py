"""Calibrating the confidence threshold of CAM seeds on the train split's pseudo-mask quality.

A seed mask leaves pixels whose strongest tag CAM is below the threshold undecided (255). Two
scores pull in opposite directions: the accuracy of the decided pixels rises with the threshold,
their share falls. :func:`seed_scores` counts an undecided pixel as a miss of its true class
(an extra "undecided" column of the confusion matrix), so the mIoU it reports is that of the
whole mask, and :func:`calibrate_threshold` takes the threshold that maximises it. Void pixels
of the ground truth (255) are scored by neither.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from wsseg.evaluation.confusion import confusion_matrix, scores_from_confusion
from wsseg.structures import IGNORE


def confusion_with_undecided(pred: np.ndarray, gt: np.ndarray, num_classes: int) -> np.ndarray:
    """(K, K + 1) confusion: column K counts the labelled ground-truth pixels left undecided."""
    p = np.asarray(pred).astype(np.int64)
    p = np.where(p == IGNORE, num_classes, p)
    return confusion_matrix(p, gt, num_classes + 1)[:num_classes]


def scores_with_undecided(cm: np.ndarray) -> dict:
    """Percent scores of a (K, K + 1) confusion from :func:`confusion_with_undecided`:

    ``mIoU``/``mAcc``/``aAcc`` of the whole mask (undecided = wrong), ``mIoU_decided``/
    ``aAcc_decided`` over decided pixels only, ``decided`` (share of labelled pixels decided)
    and per-class ``IoU`` (array, NaN for a class absent from truth and prediction).
    """
    cm = np.asarray(cm, np.float64)
    k = cm.shape[0]
    tp = np.diag(cm[:, :k])
    gt = cm.sum(1)
    pred = cm[:, :k].sum(0)
    with np.errstate(invalid='ignore', divide='ignore'):
        iou = tp / (gt + pred - tp)
        acc = tp / gt
    dec = scores_from_confusion(cm[:, :k].astype(np.int64))
    total = cm.sum()
    return dict(mIoU=100 * np.nanmean(iou), mAcc=100 * np.nanmean(acc),
                aAcc=100 * tp.sum() / max(total, 1), mIoU_decided=100 * dec['mIoU'],
                aAcc_decided=100 * dec['aAcc'], decided=100 * cm[:, :k].sum() / max(total, 1),
                IoU=100 * iou)


def tag_argmax(scores: np.ndarray, tags: Sequence[int], threshold: float = 0.0) -> np.ndarray:
    """(H, W) uint8 seed mask from (T, H, W) ``scores``, one map per tag: each pixel takes the tag
    of its strongest map, or 255 (undecided) where that score is below ``threshold``."""
    scores, tags = np.asarray(scores), np.asarray(tags, np.int64)
    return np.where(scores.max(0) >= threshold, tags[scores.argmax(0)], IGNORE).astype(np.uint8)


def seed_scores(samples: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]], num_classes: int,
                thresholds: Sequence[float]) -> list[dict]:
    """Scores of the seed masks at each threshold.

    ``samples`` yields ``(cams (T, H, W) in [0, 1], tags (T,), gt (H, W))``; a pixel takes the
    tag of its strongest CAM when that CAM reaches the threshold, else it is undecided.
    Returns one :func:`scores_with_undecided` dict (plus ``threshold``) per threshold.
    """
    thresholds = [float(t) for t in thresholds]
    cms = np.zeros((len(thresholds), num_classes, num_classes + 1), np.int64)
    for cams, tags, gt in samples:
        cams, tags = np.asarray(cams, np.float32), np.asarray(tags, np.int64)
        top, arg = cams.max(0), tags[cams.argmax(0)]
        for i, t in enumerate(thresholds):
            cms[i] += confusion_with_undecided(np.where(top >= t, arg, IGNORE), gt, num_classes)
    return [dict(scores_with_undecided(cm), threshold=t) for cm, t in zip(cms, thresholds)]


def calibrate_threshold(table: Sequence[dict]) -> float:
    """The threshold of the :func:`seed_scores` row with the highest whole-mask mIoU (the
    lower threshold on a tie)."""
    if not table:
        raise ValueError('calibrate_threshold: no scored thresholds')
    best = max(table, key=lambda r: (round(r['mIoU'], 6), -r['threshold']))
    return float(best['threshold'])
