"""Pointwise Shannon entropy of the softmax: pushes every pixel towards a confident label."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from wsseg.losses.base import SegBatch
from wsseg.losses.crf_loss import batch_valid, float_dtype
from wsseg.registry import MODELS


@MODELS.register_module()
class EntropyLoss(nn.Module):
    """``1/N sum_p H(s_p)``, ``H(s) = -sum_k s_k log s_k``, over the N valid pixels.

    Computed at the logits' resolution from ``log_softmax`` (finite for any logits). Uniform
    predictions give ``log K``, one-hot ones 0.
    """

    def __init__(self, weight: float = 1.0, loss_name: str = 'loss_entropy'):
        super().__init__()
        self.weight = weight
        self.loss_name = loss_name

    def forward(self, logits: torch.Tensor, batch: SegBatch,
                valid: torch.Tensor | None = None) -> torch.Tensor:
        """``valid`` (B, H, W) bool at image or logits size; default all pixels (or ``batch.valid``)."""
        log_p = logits.to(float_dtype(logits)).log_softmax(1)
        ent = -(log_p.exp() * log_p).sum(1)                                   # (B, h, w)
        valid = batch_valid(batch, valid)
        if valid is None:
            return self.weight * ent.mean()
        v = valid.to(device=ent.device, dtype=ent.dtype)
        if v.shape[-2:] != ent.shape[-2:]:
            v = F.interpolate(v[:, None], ent.shape[-2:], mode='nearest')[:, 0]
        n = v.sum()
        if n == 0:
            return logits.sum() * 0.0
        return self.weight * (ent * v).sum() / n
