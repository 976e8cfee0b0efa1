"""Confusion matrices and the scores derived from them.

Convention: rows are ground truth, columns are predictions (``cm[g, p]``), as in torchmetrics
and scikit-learn. Matrices are plain ``int64`` arrays, so accumulating over images or batches
is a sum: ``sum(confusion_matrix(p, g, K) for p, g in pairs)`` equals one call on the
concatenated pixels.
"""
from __future__ import annotations

import numpy as np


def _numpy(x) -> np.ndarray:
    """A numpy view of a numpy array, a torch tensor (any device) or a Python int/list."""
    if hasattr(x, 'detach'):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def confusion_matrix(pred, gt, num_classes: int, ignore_index: int | None = 255) -> np.ndarray:
    """``(K, K)`` int64 confusion matrix of ``pred`` against ``gt`` (same shape, class indices).

    Pixels whose ``gt`` is ``ignore_index`` are left out. A ``pred`` pixel equal to
    ``ignore_index`` ("undecided", as in pseudo-masks) is left out as well; report the share of
    such pixels separately (see :func:`labelled_fraction`). Any other value outside
    ``0..K-1`` in either input is a ``ValueError``. Accepts numpy arrays and torch tensors.
    """
    p, g = _numpy(pred), _numpy(gt)
    if p.shape != g.shape:
        raise ValueError(f'confusion_matrix: prediction shape {p.shape} differs from ground-truth '
                         f'shape {g.shape}')
    p = p.reshape(-1).astype(np.int64, copy=False)
    g = g.reshape(-1).astype(np.int64, copy=False)
    if ignore_index is not None:
        keep = (g != ignore_index) & (p != ignore_index)
        p, g = p[keep], g[keep]
    for name, a in (('ground truth', g), ('prediction', p)):
        if a.size and (a.min() < 0 or a.max() >= num_classes):
            bad = np.unique(a[(a < 0) | (a >= num_classes)])
            raise ValueError(f'confusion_matrix: {name} values {bad[:10].tolist()} outside the class '
                             f'range 0..{num_classes - 1} (ignore index {ignore_index})')
    cm = np.bincount(g * num_classes + p, minlength=num_classes * num_classes)
    return cm.reshape(num_classes, num_classes).astype(np.int64)


def labelled_fraction(pred, ignore_index: int = 255) -> tuple[int, int]:
    """``(labelled, total)`` pixel counts of ``pred``: labelled = not ``ignore_index``."""
    p = _numpy(pred)
    return int((p != ignore_index).sum()), int(p.size)


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise a / b, NaN where b == 0."""
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    out = np.full(np.broadcast(a, b).shape, np.nan)
    np.divide(a, b, out=out, where=b != 0)
    return out


def _nanmean(a: np.ndarray) -> float:
    a = np.asarray(a, np.float64)
    return float(a[~np.isnan(a)].mean()) if (~np.isnan(a)).any() else float('nan')


def scores_from_confusion(cm: np.ndarray) -> dict:
    """Segmentation and classification scores from a ``(K, K)`` confusion matrix, as fractions.

    Per class (arrays of length K): ``IoU``, ``Acc`` (= ``Recall``, the share of the class's
    ground truth predicted as it), ``Precision``, ``Recall``, ``F1`` (= 2TP / (2TP + FP + FN),
    the Dice score), ``support`` (ground-truth count).

    Summaries (floats): ``mIoU``, ``mAcc``, ``macro_F1``, ``weighted_F1`` (F1 weighted by the
    ground-truth support), ``aAcc`` (overall pixel accuracy) and ``micro_F1``, which for
    single-label data equals ``aAcc``.

    A class with neither ground truth nor prediction has IoU / F1 NaN and is left out of
    ``mIoU`` and ``macro_F1`` (the average runs over classes present in gt or prediction, as in
    scikit-learn's macro average). Recall is NaN for a class without ground truth and
    precision NaN for one never predicted; ``mAcc`` averages over classes with ground truth.
    Empty matrices give NaN summaries.
    """
    cm = np.asarray(cm, np.int64)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f'scores_from_confusion: expected a square matrix, got shape {cm.shape}')
    tp = np.diag(cm).astype(np.float64)
    gt = cm.sum(1).astype(np.float64)
    pr = cm.sum(0).astype(np.float64)
    total = float(cm.sum())
    iou = _div(tp, gt + pr - tp)
    recall = _div(tp, gt)
    precision = _div(tp, pr)
    f1 = _div(2 * tp, gt + pr)
    aacc = float(tp.sum() / total) if total else float('nan')
    weighted = float(np.nansum(f1 * gt) / gt.sum()) if gt.sum() else float('nan')
    return {
        'IoU': iou, 'Acc': recall.copy(), 'Precision': precision, 'Recall': recall, 'F1': f1,
        'support': gt.astype(np.int64),
        'mIoU': _nanmean(iou), 'mAcc': _nanmean(recall), 'aAcc': aacc,
        'macro_F1': _nanmean(f1), 'weighted_F1': weighted, 'micro_F1': aacc,
    }


def format_table(classes, columns: dict[str, np.ndarray], scale: float = 100.0) -> str:
    """A plain-text table: one row per class, one column per entry of ``columns``."""
    names = [str(c) for c in classes]
    width = max([5] + [len(n) for n in names])
    head = f'{"class":<{width}} ' + ' '.join(f'{k:>9}' for k in columns)
    lines = [head, '-' * len(head)]
    for i, n in enumerate(names):
        cells = []
        for v in columns.values():
            x = float(v[i])
            cells.append(f'{"nan":>9}' if np.isnan(x) else
                         (f'{int(x):>9d}' if v.dtype.kind in 'iu' else f'{x * scale:>9.2f}'))
        lines.append(f'{n:<{width}} ' + ' '.join(cells))
    return '\n'.join(lines)


def _json_safe(x):
    """NaN -> None, numpy -> Python, recursively."""
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_safe(v) for v in x]
    if isinstance(x, np.ndarray):
        return _json_safe(x.tolist())
    if isinstance(x, (float, np.floating)):
        return None if np.isnan(float(x)) else float(x)
    if isinstance(x, np.integer):
        return int(x)
    return x


def mask_report(cm: np.ndarray, classes, labelled: int, total: int, **extra) -> dict:
    """A JSON-safe report of mask quality (scores in percent) from an accumulated confusion
    matrix, plus the share of predicted pixels that are decided (``labelled / total``)."""
    s = scores_from_confusion(cm)
    return _json_safe({
        'units': 'scores in percent; labelled_fraction in 0..1',
        'classes': list(classes),
        'mIoU': 100 * s['mIoU'], 'aAcc': 100 * s['aAcc'], 'mAcc': 100 * s['mAcc'],
        'macro_F1': 100 * s['macro_F1'], 'weighted_F1': 100 * s['weighted_F1'],
        'labelled_fraction': labelled / total if total else float('nan'),
        'per_class': {c: {'IoU': 100 * s['IoU'][i], 'precision': 100 * s['Precision'][i],
                          'recall': 100 * s['Recall'][i], 'F1': 100 * s['F1'][i],
                          'support': s['support'][i]} for i, c in enumerate(classes)},
        'confusion_matrix': cm, **extra})


def print_report(report: dict) -> str:
    """The per-class table and summary line of a :func:`mask_report`."""
    classes = report['classes']
    pc = report['per_class']
    cols = {name: np.array([np.nan if pc[c][key] is None else pc[c][key] / 100 for c in classes])
            for name, key in (('IoU', 'IoU'), ('Precision', 'precision'), ('Recall', 'recall'), ('F1', 'F1'))}
    cols['support'] = np.array([pc[c]['support'] for c in classes], np.int64)
    frac = report['labelled_fraction']
    return (format_table(classes, cols) + '\n' +
            f"mIoU {report['mIoU']:.2f}  aAcc {report['aAcc']:.2f}  mAcc {report['mAcc']:.2f}  "
            f"macro F1 {report['macro_F1']:.2f}  weighted F1 {report['weighted_F1']:.2f}  "
            f"labelled fraction {frac if frac is not None else float('nan'):.4f}")
