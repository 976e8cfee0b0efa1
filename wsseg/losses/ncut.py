"""Normalised-cut loss (Tang et al., "Normalized Cut Loss for Weakly-supervised CNN
Segmentation", CVPR 2018), with the same bilateral affinity W as the dense CRF loss."""
from __future__ import annotations

import torch
from torch import nn

from wsseg.losses.base import SegBatch
from wsseg.losses.crf_loss import (batch_valid, check_positive, check_radius, dense_affinity,
                                   local_affinity, prepare_grid, with_gradient)
from wsseg.registry import MODELS


@MODELS.register_module()
class NormalizedCutLoss(nn.Module):
    """``mean over images of sum_k s_k^T W (1 - s_k) / (d^T s_k)``, ``d = W 1``.

    Each class's term is the weight of the edges its soft segment cuts over the segment's
    volume, in [0, 1]; the loss lies in [0, K]. W is the bilateral kernel of
    :class:`~wsseg.losses.crf_loss.DenseCRFLoss` (same ``sigma_rgb``, ``sigma_xy``, ``mode``,
    ``scale_factor``, ``radius``, ``dilation`` meanings), zero on the diagonal and on invalid
    pixels. The value and its analytic gradient
    ``(d - 2 W s_k) / v_k - c_k d / v_k^2`` (``c_k`` cut, ``v_k = d^T s_k + eps``) come from one
    pass computing ``W s`` and ``d``.
    """

    def __init__(self, weight: float = 1.0, sigma_rgb: float = 15.0, sigma_xy: float = 80.0,
                 mode: str = 'downsample', scale_factor: float = 0.5, radius: int | None = 5,
                 dilation: int = 1, eps: float = 1e-6, loss_name: str = 'loss_ncut'):
        super().__init__()
        check_positive(type(self).__name__, sigma_rgb=sigma_rgb, sigma_xy=sigma_xy)
        check_radius(type(self).__name__, radius)
        if mode not in ('local', 'downsample'):
            raise ValueError(f"NormalizedCutLoss: mode must be 'local' or 'downsample', got {mode!r}")
        if not (0 < scale_factor <= 1):
            raise ValueError(f'NormalizedCutLoss: scale_factor must be in (0, 1], got {scale_factor!r}')
        if not isinstance(dilation, int) or dilation < 1:
            raise ValueError(f'NormalizedCutLoss: dilation must be an int >= 1, got {dilation!r}')
        self.weight, self.sigma_rgb, self.sigma_xy = weight, float(sigma_rgb), float(sigma_xy)
        self.mode, self.radius, self.dilation, self.eps = mode, radius, dilation, eps
        self.scale_factor = float(scale_factor) if mode == 'downsample' else 1.0
        self.loss_name = loss_name

    def forward(self, logits: torch.Tensor, batch: SegBatch,
                valid: torch.Tensor | None = None) -> torch.Tensor:
        probs, img, v, xy_scale, _ = prepare_grid(logits, batch.images, batch_valid(batch, valid),
                                                  self.scale_factor)
        s = probs.detach()
        sigma_xy = self.sigma_xy * xy_scale
        with torch.no_grad():
            if self.radius is None:
                ws, deg = dense_affinity(s, img, v, self.sigma_rgb, sigma_xy)
            else:
                ws, deg = local_affinity(s, img, v, self.sigma_rgb, sigma_xy, self.radius, self.dilation)
            vol = (deg * s).sum((2, 3)) + self.eps                 # (B, K)
            cut = (deg * s).sum((2, 3)) - (s * ws).sum((2, 3))     # s_k^T W (1 - s_k)
            value = (cut / vol).sum(1).mean()
            vol, cut = vol[..., None, None], cut[..., None, None]
            grad = ((deg - 2.0 * ws) / vol - cut * deg / vol.pow(2)) / s.shape[0]
        return self.weight * with_gradient(probs, value, grad)
