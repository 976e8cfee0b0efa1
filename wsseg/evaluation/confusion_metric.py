"""``ConfusionMetric``: the part every wsseg metric shares, one confusion matrix summed over a
dataset. Subclasses say which sample fields hold the labels and what they report."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from .confusion import _numpy, confusion_matrix


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


class ConfusionMetric(BaseMetric):
    """Sums one (k, k) confusion matrix of ``pred_key`` against ``gt_key`` over all samples
    (``ignore_index`` left out); a sample whose ground truth is None is skipped.
    ``save_confusion_png``: where the matrix figure is written after each evaluation."""

    pred_key = 'pred'
    gt_key = 'gt'

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

    def _align(self, pred: np.ndarray, gt: np.ndarray, where: str) -> tuple[np.ndarray, np.ndarray]:
        """The two label arrays made comparable, or a ValueError naming ``where``."""
        if pred.shape != gt.shape:
            raise ValueError(f'{type(self).__name__}: {where}: {self.pred_key} shape {pred.shape} '
                             f'differs from {self.gt_key} shape {gt.shape}')
        return pred, gt

    def process(self, data_batch: Any, data_samples: Sequence) -> None:
        k, _ = self._classes()
        for s in data_samples:
            gt = sample_field(s, self.gt_key)
            if gt is None:
                self.results.append(None)       # one entry per sample keeps mmengine's size cut right
                continue
            pred = sample_field(s, self.pred_key)
            where = sample_field(s, 'img_path') or '<sample>'
            if pred is None:
                raise ValueError(f'{type(self).__name__}: {where}: sample has {self.gt_key} '
                                 f'but no {self.pred_key}')
            pred, gt = self._align(_numpy(pred), _numpy(gt), where)
            self.results.append(confusion_matrix(pred, gt, k, self.ignore_index))

    def confusion(self, results: list) -> tuple[np.ndarray, list[str]]:
        """The summed matrix (kept as ``last_confusion``, drawn if asked) and the class names."""
        k, names = self._classes()
        cm = np.zeros((k, k), np.int64)
        for r in results:
            if r is not None:
                cm += r
        self.last_confusion = cm
        if self.save_confusion_png:
            from wsseg.visualization.plots import plot_confusion
            plot_confusion(cm, names, self.save_confusion_png)
        return cm, names
