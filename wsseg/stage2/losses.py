"""mmseg's ``CrossEntropyLoss`` with class weights that survive ignored pixels.

mmseg 1.2.2 averages a class-weighted CE by indexing the weights with every label, the ignore
index (255) included, so any mask with void, undecided or padded pixels stops training with
``IndexError: index 255 is out of bounds`` (open-mmlab/mmsegmentation#3734, #3831). This loss
computes the same average (the class weights of the labelled pixels) with the ignored ones left
out, and is mmseg's loss otherwise. ``tools/class_weights.py`` names it in the option it prints.
"""
from __future__ import annotations

import torch
from mmseg.models.losses import CrossEntropyLoss
from mmseg.models.losses.cross_entropy_loss import cross_entropy
from mmseg.registry import MODELS


def weighted_cross_entropy(pred: torch.Tensor, label: torch.Tensor, weight=None, class_weight=None,
                           reduction: str = 'mean', avg_factor=None, ignore_index: int = -100,
                           avg_non_ignore: bool = False) -> torch.Tensor:
    """mmseg's ``cross_entropy`` with the class-weighted ``avg_factor`` computed safely."""
    if class_weight is not None and avg_factor is None and reduction == 'mean':
        valid = label != ignore_index
        label_weights = class_weight[label.clamp(0, len(class_weight) - 1)] * valid
        # as mmseg: ignored pixels count once when avg_non_ignore is False (its unweighted rule)
        avg_factor = label_weights.sum() + (0 if avg_non_ignore else (~valid).sum())
    return cross_entropy(pred, label, weight, class_weight, reduction, avg_factor, ignore_index,
                         avg_non_ignore)


@MODELS.register_module()
class ClassWeightedCrossEntropyLoss(CrossEntropyLoss):
    """``CrossEntropyLoss(class_weight=[...])`` for masks with ignored pixels (softmax CE only)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.use_sigmoid or self.use_mask:
            raise ValueError('ClassWeightedCrossEntropyLoss: softmax cross-entropy only '
                             '(use_sigmoid=False, use_mask=False)')
        self.cls_criterion = weighted_cross_entropy
