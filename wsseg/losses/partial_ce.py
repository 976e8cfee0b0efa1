"""Partial cross-entropy: CE over labelled pixels only (scribbles, points, pseudo-masks)."""
from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F
from torch import nn

from wsseg.losses.base import SegBatch
from wsseg.registry import MODELS


@MODELS.register_module()
class PartialCrossEntropy(nn.Module):
    """Mean CE over pixels whose target is not 255, with optional per-class weights.

    With full masks this is ordinary CE. An image with no labelled pixel contributes nothing
    (a warning names it) instead of a NaN.
    """

    def __init__(self, weight: float = 1.0, class_weight: list[float] | None = None,
                 ignore_index: int = 255, loss_name: str = 'loss_pce'):
        super().__init__()
        self.weight = weight
        self.ignore_index = ignore_index
        self.loss_name = loss_name
        self.register_buffer('class_weight', None if class_weight is None
                             else torch.tensor(class_weight, dtype=torch.float32), persistent=False)

    def forward(self, logits: torch.Tensor, batch: SegBatch) -> torch.Tensor:
        target = batch.target
        if target.shape[-2:] != logits.shape[-2:]:
            logits = F.interpolate(logits, size=target.shape[-2:], mode='bilinear', align_corners=False)
        labelled = target != self.ignore_index
        empty = ~labelled.flatten(1).any(1)
        if empty.any():
            names = [batch.img_paths[i] if i < len(batch.img_paths) else f'#{i}'
                     for i in torch.nonzero(empty).flatten().tolist()]
            warnings.warn(f'no labelled pixel in {names}: partial CE skips them')
        if not labelled.any():
            return logits.sum() * 0.0
        ce = F.cross_entropy(logits, target.clamp_max(logits.shape[1] - 1) * labelled,
                             weight=self.class_weight, reduction='none')
        if self.class_weight is not None:
            w = self.class_weight[target.clamp_max(logits.shape[1] - 1)] * labelled
            return self.weight * (ce * labelled).sum() / w.sum().clamp_min(1e-12)
        return self.weight * (ce * labelled).sum() / labelled.sum()
