"""Pseudo-masks from a trained wsseg network (e.g. one trained on scribbles)."""
from __future__ import annotations

import numpy as np
import torch

from wsseg.registry import MODELS, PSEUDO_LABELLERS
from wsseg.pseudo.base import PseudoLabeller
from wsseg.refine.crf import check_crf_kwargs
from wsseg.utils.checkpoint import load_state_dict_file


@PSEUDO_LABELLERS.register_module()
class NetworkPseudoLabeller(PseudoLabeller):
    """Predict with a :class:`~wsseg.models.WeakSegmentor`; pixels below ``min_confidence``
    become 255 (undecided). ``keep_weak=True`` overwrites predictions with the image's own
    scribble / point labels, which are known to be right.

    ``crf=dict(n_iters=5, sigma_rgb=13, ...)`` refines the network's probabilities with the
    mean-field CRF before the argmax (the model's ``test_cfg.crf`` path, arguments of
    :func:`wsseg.refine.crf.dense_crf_meanfield`); ``crf=None`` keeps the model's own setting.
    """

    def __init__(self, model: dict | torch.nn.Module, checkpoint: str | None = None,
                 min_confidence: float = 0.0, keep_weak: bool = True, device: str | None = None,
                 crf: dict | None = None):
        self.model = MODELS.build(model) if isinstance(model, dict) else model
        if checkpoint:
            self.model.load_state_dict(load_state_dict_file(checkpoint, 'wsseg'))
        self.device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
        self.model.to(self.device).eval()
        if crf is not None:
            if not hasattr(self.model, 'test_cfg'):
                raise ValueError(f'NetworkPseudoLabeller: crf given but {type(self.model).__name__} '
                                 'has no test_cfg (use a WeakSegmentor)')
            self.model.test_cfg = dict(self.model.test_cfg, crf=check_crf_kwargs(
                dict(crf), 'NetworkPseudoLabeller crf'))
        self.min_confidence = min_confidence
        self.keep_weak = keep_weak

    @torch.no_grad()
    def label(self, results: dict) -> tuple[np.ndarray, np.ndarray]:
        data = self.model.data_preprocessor(dict(inputs=[results['inputs']],
                                                 data_samples=[results['data_samples']]))
        sample = self.model(**data, mode='predict')[0]
        mask = sample.pred.cpu().numpy().astype(np.uint8)
        conf = sample.extra['confidence'].cpu().numpy()
        mask[conf < self.min_confidence] = 255
        if self.keep_weak and sample.weak is not None:
            partial = sample.weak.partial_mask()
            mask[partial != 255] = partial[partial != 255]
            conf[partial != 255] = 1.0
        return mask, conf
