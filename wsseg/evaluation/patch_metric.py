"""``PatchMetric``: accuracy and per-class / macro / class-weighted F1 of a patch classifier."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log

from wsseg.registry import METRICS

from .confusion import _numpy, confusion_matrix, format_table, scores_from_confusion
from .seg_metric import resolve_classes, sample_field


@METRICS.register_module()
class PatchMetric(BaseMetric):
    """Scores of patch labels. Each data sample (dict or object) carries ``pred_label`` and
    ``gt_label``: one int each, or arrays of per-patch labels of the same shape (e.g. a 5x8
    grid for a whole frame). Samples whose ``gt_label`` is None are skipped; gt labels equal to
    ``ignore_index`` are left out.

    ``compute_metrics`` returns, in percent, ``accuracy``, ``macro_F1``, ``weighted_F1`` (F1
    weighted by ground-truth support), ``micro_F1`` and per class ``precision.<name>``,
    ``recall.<name>``, ``F1.<name>``. These are reported separately on purpose: for single-label
    classification micro-averaged F1 equals accuracy, and the public SeaFeats / SeaCLIP test
    script's "F1" is micro-averaged, i.e. it is the accuracy, not a per-class F1.
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
            gt = sample_field(s, 'gt_label')
            if gt is None:
                self.results.append(None)
                continue
            pred = sample_field(s, 'pred_label')
            where = sample_field(s, 'img_path') or '<sample>'
            if pred is None:
                raise ValueError(f'{type(self).__name__}: {where}: sample has gt_label but no pred_label')
            pred, gt = np.atleast_1d(_numpy(pred)), np.atleast_1d(_numpy(gt))
            if pred.shape != gt.shape:
                raise ValueError(f'{type(self).__name__}: {where}: pred_label shape {pred.shape} differs '
                                 f'from gt_label shape {gt.shape}')
            self.results.append(confusion_matrix(pred, gt, k, self.ignore_index))

    def compute_metrics(self, results: list) -> dict:
        k, names = self._classes()
        cm = np.zeros((k, k), np.int64)
        for r in results:
            if r is not None:
                cm += r
        self.last_confusion = cm
        s = scores_from_confusion(cm)
        table = format_table(names, {'Precision': s['Precision'], 'Recall': s['Recall'],
                                     'F1': s['F1'], 'support': s['support']})
        print_log(f'per-class patch results:\n{table}\n'
                  f"accuracy {100 * s['aAcc']:.2f}  macro F1 {100 * s['macro_F1']:.2f}  "
                  f"weighted F1 {100 * s['weighted_F1']:.2f}", logger=MMLogger.get_current_instance())
        if self.save_confusion_png:
            from wsseg.visualization.plots import plot_confusion
            plot_confusion(cm, names, self.save_confusion_png)
        out = {'accuracy': 100 * s['aAcc'], 'macro_F1': 100 * s['macro_F1'],
               'weighted_F1': 100 * s['weighted_F1'], 'micro_F1': 100 * s['micro_F1']}
        for key, col in (('precision', 'Precision'), ('recall', 'Recall'), ('F1', 'F1')):
            for i, n in enumerate(names):
                out[f'{key}.{n}'] = 100 * float(s[col][i])
        return out
