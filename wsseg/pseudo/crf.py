"""The CRF-refined labeller: any pseudo-labeller's masks, refined by the mean-field CRF of
:mod:`wsseg.refine.crf`."""
from __future__ import annotations

import numpy as np

from wsseg.pseudo.base import PseudoLabeller
from wsseg.refine.crf import check_crf_kwargs, refine_mask, refine_mask_within
from wsseg.registry import PSEUDO_LABELLERS


@PSEUDO_LABELLERS.register_module()
class CRFRefined(PseudoLabeller):
    """Wrap any pseudo-labeller and refine its masks with :func:`refine_mask` (mean-field CRF).

    Args:
        labeller: the inner labeller's config (``PSEUDO_LABELLERS``) or instance; ``checkpoint``
            and ``model`` given here (e.g. by ``tools/pseudo_label.py --checkpoint``) are passed on.
        num_classes: K of the masks.
        within_labels: let the CRF choose only among the labels already in the mask (plus the
            image's tags, when the sample has weak tags).
        refine: keyword arguments of :func:`refine_mask` / :func:`dense_crf_meanfield`
            (``confidence``, ``n_iters``, ``threshold``, ``keep_labelled``, sigmas, ...).
    """

    def __init__(self, labeller: dict | PseudoLabeller, num_classes: int,
                 within_labels: bool = False, checkpoint: str | None = None,
                 model: dict | None = None, **refine):
        if isinstance(labeller, dict):
            labeller = dict(labeller)
            if checkpoint is not None:
                labeller['checkpoint'] = checkpoint
            if model is not None and 'model' not in labeller:
                labeller['model'] = model
            labeller = PSEUDO_LABELLERS.build(labeller)
        self.labeller = labeller
        self.num_classes = int(num_classes)
        self.within_labels = within_labels
        self.refine = check_crf_kwargs(dict(refine), 'CRFRefined',
                                       extra=('confidence', 'threshold', 'keep_labelled', 'device'))

    def label(self, results: dict) -> tuple[np.ndarray, np.ndarray | None]:
        mask, conf = self.labeller.label(results)
        image = np.ascontiguousarray(results['inputs'].permute(1, 2, 0).cpu().numpy().astype(np.uint8))
        if self.within_labels:
            labels = np.unique(mask[mask != 255])
            weak = getattr(results.get('data_samples'), 'weak', None)
            if weak is not None and len(weak.tags):
                labels = np.union1d(labels, weak.tags)
            out = refine_mask_within(image, mask, labels, **self.refine)
        else:
            out = refine_mask(image, mask, self.num_classes, **self.refine)
        return out, None if conf is None else np.where(out == mask, conf, 0.0).astype(np.float32)
