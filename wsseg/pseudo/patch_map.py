"""Pixel pseudo-masks from a patch model: SeaFeats, SeaCLIP or their ensemble.

The model gives each frame a (rows, cols) patch map of class probabilities; the labeller turns
it into a pixel mask at the frame's size, either by painting each cell (array_split cells, as
in the paper) or with one of the refinements of :mod:`wsseg.patch.refine` (patch-seeded CRF,
superpixel voting) or :class:`wsseg.patch.sam_refine.SamPatchRefiner` (SAM prompted by the
patch map, when a SAM checkpoint is given).
"""
from __future__ import annotations

import numpy as np
import torch

from wsseg.pseudo.base import PseudoLabeller
from wsseg.registry import MODELS, PSEUDO_LABELLERS
from wsseg.utils.checkpoint import load_state_dict_file

REFINE = ('none', 'crf', 'superpixels', 'sam')


@PSEUDO_LABELLERS.register_module()
class PatchMapPseudoLabeller(PseudoLabeller):
    """Frames -> pixel masks through a patch model's patch map.

    Args:
        model: a ``PatchClassifier`` or ``PatchEnsemble`` config (an ensemble's members carry
            their own checkpoints) or a built model.
        checkpoint: weights of ``model`` (``tools/train.py`` output), if not already in it.
        refine: ``'none'`` (paint the cells), ``'crf'``, ``'superpixels'`` or ``'sam'``.
        refine_cfg: keyword arguments of the refinement; for ``'sam'``,
            ``dict(sam=dict(type='vit_b', checkpoint=PATH))``.
        min_confidence: pixels whose patch probability is below it become 255 (undecided).
    """

    def __init__(self, model: dict | torch.nn.Module, checkpoint: str | None = None,
                 refine: str = 'crf', refine_cfg: dict | None = None, min_confidence: float = 0.0,
                 device: str | None = None):
        if refine not in REFINE:
            raise ValueError(f'PatchMapPseudoLabeller: refine must be one of {REFINE}, got {refine!r}')
        self.model = MODELS.build(dict(model)) if isinstance(model, dict) else model
        if checkpoint:
            self.model.load_state_dict(load_state_dict_file(checkpoint, 'wsseg'))
        self.device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
        self.model.to(self.device).eval()
        self.refine, self.refine_cfg = refine, dict(refine_cfg or {})
        self.min_confidence = min_confidence
        self._sam = None
        if refine == 'sam':
            from wsseg.patch.sam_refine import SamPatchRefiner
            if 'sam' not in self.refine_cfg:
                raise ValueError("PatchMapPseudoLabeller: refine='sam' needs refine_cfg=dict(sam=dict("
                                 "type='vit_b', checkpoint=PATH))")
            self._sam = SamPatchRefiner(**self.refine_cfg)

    @torch.no_grad()
    def patch_probs(self, results: dict) -> np.ndarray:
        """(K, rows, cols) class probabilities of the frame's patches."""
        data = self.model.data_preprocessor(dict(inputs=[results['inputs']],
                                                 data_samples=[results['data_samples']]))
        out = self.model(**data, mode='tensor')           # logits, or log-probs (ensemble)
        return out.float().softmax(1)[0].cpu().numpy()

    def label(self, results: dict) -> tuple[np.ndarray, np.ndarray]:
        from wsseg.patch.refine import coarse_pixels, refine_crf, refine_superpixels, upsample_probs
        probs = self.patch_probs(results)
        image = results['inputs'].permute(1, 2, 0).cpu().numpy().astype(np.uint8)
        hw = image.shape[:2]
        if self.refine == 'none':
            mask = coarse_pixels(probs, hw)
        elif self.refine == 'crf':
            mask = refine_crf(image, probs, **self.refine_cfg)
        elif self.refine == 'superpixels':
            mask = refine_superpixels(image, probs, **self.refine_cfg)
        else:
            mask = self._sam(image, probs)
        conf = np.take_along_axis(upsample_probs(probs, hw, 'nearest'), mask[None].astype(np.int64), 0)[0]
        mask = mask.astype(np.uint8)
        mask[conf < self.min_confidence] = 255
        return mask, conf
