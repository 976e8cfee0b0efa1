"""``SegIoUMetric``: mIoU, per-class IoU and pixel accuracies over a dataset."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log

from wsseg.registry import METRICS

from .confusion import _numpy, confusion_matrix, format_table, scores_from_confusion


def sample_field(sample: Any, key: str):
    """``sample[key]`` for a dict, ``sample.key`` for an object; None when absent."""
    if isinstance(sample, dict):
        return sample.get(key)
    return getattr(sample, key, None)


def resolve_classes(num_classes: int | None, classes: Sequence[str] | None,
                    dataset_meta: dict | None, owner: str) -> tuple[int, list[str]]:
    """Number of classes and their names from the arguments, else from the dataset's metainfo."""
    if classes is None and dataset_meta and dataset_meta.get('classes'):
        classes = dataset_meta['classes']
    if num_classes is None:
        if not classes:
            raise ValueError(f'{owner}: give num_classes or classes (or evaluate a dataset whose '
                             'metainfo has classes)')
        num_classes = len(classes)
    if classes is None:
        classes = [str(i) for i in range(num_classes)]
    if len(classes) != num_classes:
        raise ValueError(f'{owner}: {len(classes)} class names for num_classes={num_classes}')
    return int(num_classes), [str(c) for c in classes]


@METRICS.register_module()
class SegIoUMetric(BaseMetric):
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

    def __init__(self, num_classes: int | None = None, classes: Sequence[str] | None = None,
                 ignore_index: int = 255, save_confusion_png: str | None = None,
                 collect_device: str = 'cpu', prefix: str | None = None,
                 collect_dir: str | None = None):
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        self.num_classes = num_classes
        self.classes = None if classes is None else list(classes)
        self.ignore_index = ignore_index
        self.save_confusion_png = save_confusion_png
        self.last_confusion: np.ndarray | None = None

    def _classes(self) -> tuple[int, list[str]]:
        return resolve_classes(self.num_classes, self.classes, self._dataset_meta, type(self).__name__)

    def process(self, data_batch: Any, data_samples: Sequence) -> None:
        k, _ = self._classes()
        for s in data_samples:
            gt = sample_field(s, 'gt')
            if gt is None:
                self.results.append(None)       # one entry per sample keeps mmengine's size cut right
                continue
            pred = sample_field(s, 'pred')
            where = sample_field(s, 'img_path') or '<sample>'
            if pred is None:
                raise ValueError(f'{type(self).__name__}: {where}: sample has ground truth but no pred')
            pred, gt = _numpy(pred), _numpy(gt)
            if gt.shape != pred.shape:
                gt = self._crop_padding(gt, pred.shape, where)
            self.results.append(confusion_matrix(pred, gt, k, self.ignore_index))

    def _crop_padding(self, gt: np.ndarray, shape: tuple, where: str) -> np.ndarray:
        h, w = shape
        if gt.ndim == 2 and gt.shape[0] >= h and gt.shape[1] >= w:
            extra = np.ones(gt.shape, bool)
            extra[:h, :w] = False
            if (gt[extra] == self.ignore_index).all():
                return gt[:h, :w]
        raise ValueError(f'{type(self).__name__}: {where}: prediction shape {tuple(shape)} differs '
                         f'from ground-truth shape {gt.shape}')

    def compute_metrics(self, results: list) -> dict:
        k, names = self._classes()
        cm = np.zeros((k, k), np.int64)
        for r in results:
            if r is not None:
                cm += r
        self.last_confusion = cm
        s = scores_from_confusion(cm)
        logger = MMLogger.get_current_instance()
        table = format_table(names, {'IoU': s['IoU'], 'Acc': s['Acc'], 'Precision': s['Precision'],
                                     'F1': s['F1'], 'support': s['support']})
        print_log(f'per-class results:\n{table}\n'
                  f"mIoU {100 * s['mIoU']:.2f}  aAcc {100 * s['aAcc']:.2f}  mAcc {100 * s['mAcc']:.2f}",
                  logger=logger)
        if self.save_confusion_png:
            from wsseg.visualization.plots import plot_confusion
            plot_confusion(cm, names, self.save_confusion_png)
        out = {'mIoU': 100 * s['mIoU'], 'aAcc': 100 * s['aAcc'], 'mAcc': 100 * s['mAcc'],
               'mF1': 100 * s['macro_F1']}
        for i, n in enumerate(names):
            out[f'IoU.{n}'] = 100 * float(s['IoU'][i])
        for i, n in enumerate(names):
            out[f'Acc.{n}'] = 100 * float(s['Acc'][i])
        return out
