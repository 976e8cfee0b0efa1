"""``PatchMetric``: accuracy and per-class / macro / class-weighted F1 of a patch classifier."""
from __future__ import annotations

import numpy as np
from mmengine.logging import MMLogger, print_log

from wsseg.registry import METRICS

from .confusion import format_table, scores_from_confusion
from .confusion_metric import ConfusionMetric


@METRICS.register_module()
class PatchMetric(ConfusionMetric):
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

    pred_key = 'pred_label'
    gt_key = 'gt_label'

    def _align(self, pred: np.ndarray, gt: np.ndarray, where: str) -> tuple[np.ndarray, np.ndarray]:
        return super()._align(np.atleast_1d(pred), np.atleast_1d(gt), where)

    def compute_metrics(self, results: list) -> dict:
        cm, names = self.confusion(results)
        s = scores_from_confusion(cm)
        table = format_table(names, {'Precision': s['Precision'], 'Recall': s['Recall'],
                                     'F1': s['F1'], 'support': s['support']})
        print_log(f'per-class patch results:\n{table}\n'
                  f"accuracy {100 * s['aAcc']:.2f}  macro F1 {100 * s['macro_F1']:.2f}  "
                  f"weighted F1 {100 * s['weighted_F1']:.2f}", logger=MMLogger.get_current_instance())
        out = {'accuracy': 100 * s['aAcc'], 'macro_F1': 100 * s['macro_F1'],
               'weighted_F1': 100 * s['weighted_F1'], 'micro_F1': 100 * s['micro_F1']}
        for key, col in (('precision', 'Precision'), ('recall', 'Recall'), ('F1', 'F1')):
            for i, n in enumerate(names):
                out[f'{key}.{n}'] = 100 * float(s[col][i])
        return out
