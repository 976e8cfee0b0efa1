"""``SegIoUMetric``: mIoU, per-class IoU and pixel accuracies over a dataset."""
from __future__ import annotations

import numpy as np
from mmengine.logging import MMLogger, print_log

from wsseg.registry import METRICS

from .confusion import format_table, scores_from_confusion
from .confusion_metric import ConfusionMetric


@METRICS.register_module()
class SegIoUMetric(ConfusionMetric):
    """Accumulates one confusion matrix over all evaluated pixels (``ignore_index`` left out).

    Each data sample is a dict or an object with ``pred`` (H, W) and ``gt`` (H, W) class
    indices (tensors or arrays); a sample whose ``gt`` is None is skipped. A ``gt`` larger than
    ``pred`` is cropped when the extra border is all ``ignore_index`` (batch padding).

    ``compute_metrics`` returns, in percent: ``mIoU``, ``aAcc``, ``mAcc``, ``mF1`` and per class
    ``IoU.<name>``, ``Acc.<name>``; it logs a per-class table. Classes absent from both truth
    and prediction are NaN and left out of the means (see
    :func:`wsseg.evaluation.confusion.scores_from_confusion`). ``save_confusion_png``: a path
    where the confusion matrix figure is written after each evaluation.
    """

    def _align(self, pred: np.ndarray, gt: np.ndarray, where: str) -> tuple[np.ndarray, np.ndarray]:
        """Crops a ``gt`` larger than ``pred`` when the extra border is all ``ignore_index``."""
        if gt.shape == pred.shape:
            return pred, gt
        h, w = pred.shape
        if gt.ndim == 2 and gt.shape[0] >= h and gt.shape[1] >= w:
            extra = np.ones(gt.shape, bool)
            extra[:h, :w] = False
            if (gt[extra] == self.ignore_index).all():
                return pred, gt[:h, :w]
        raise ValueError(f'{type(self).__name__}: {where}: prediction shape {tuple(pred.shape)} differs '
                         f'from ground-truth shape {gt.shape}')

    def compute_metrics(self, results: list) -> dict:
        cm, names = self.confusion(results)
        s = scores_from_confusion(cm)
        logger = MMLogger.get_current_instance()
        table = format_table(names, {'IoU': s['IoU'], 'Acc': s['Acc'], 'Precision': s['Precision'],
                                     'F1': s['F1'], 'support': s['support']})
        print_log(f'per-class results:\n{table}\n'
                  f"mIoU {100 * s['mIoU']:.2f}  aAcc {100 * s['aAcc']:.2f}  mAcc {100 * s['mAcc']:.2f}",
                  logger=logger)
        out = {'mIoU': 100 * s['mIoU'], 'aAcc': 100 * s['aAcc'], 'mAcc': 100 * s['mAcc'],
               'mF1': 100 * s['macro_F1']}
        for i, n in enumerate(names):
            out[f'IoU.{n}'] = 100 * float(s['IoU'][i])
        for i, n in enumerate(names):
            out[f'Acc.{n}'] = 100 * float(s['Acc'][i])
        return out
