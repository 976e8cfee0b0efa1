"""Sparse (grid) MRF loss: a Potts relaxation over adjacent pixels with contrast weights."""
from __future__ import annotations

import math

import torch
from torch import nn

from wsseg.losses.base import SegBatch
from wsseg.losses.crf_loss import batch_valid, check_positive, prepare_grid, shift_slices
from wsseg.registry import MODELS

_OFFSETS = {4: [(0, 1), (1, 0)], 8: [(0, 1), (1, 0), (1, 1), (1, -1)]}


@MODELS.register_module()
class SparseMRFLoss(nn.Module):
    """``1/N sum_{p~q} w_pq rho(s_p, s_q)`` over unordered adjacent pairs, N valid pixels.

    ``w_pq = exp(-|I_p - I_q|^2 / (2 sigma^2))`` with I on the 0..255 scale, divided by
    ``|p - q| = sqrt(2)`` for diagonal pairs when ``diagonal_distance``. ``rho`` relaxes the
    Potts term ``[label_p != label_q]`` and equals it on one-hot predictions:
    ``'quadratic'``: ``||s_p - s_q||^2 / 2`` (convex); ``'bilinear'``: ``1 - s_p . s_q``.

    Args:
        neighbourhood: 4 or 8.
        sigma: contrast bandwidth, 0..255 scale.
    """

    def __init__(self, weight: float = 1.0, sigma: float = 15.0, neighbourhood: int = 4,
                 diagonal_distance: bool = True, relaxation: str = 'quadratic',
                 loss_name: str = 'loss_mrf'):
        super().__init__()
        check_positive(type(self).__name__, sigma=sigma)
        if neighbourhood not in _OFFSETS:
            raise ValueError(f'SparseMRFLoss: neighbourhood must be 4 or 8, got {neighbourhood!r}')
        if relaxation not in ('quadratic', 'bilinear'):
            raise ValueError(f"SparseMRFLoss: relaxation must be 'quadratic' or 'bilinear', "
                             f'got {relaxation!r}')
        self.weight, self.sigma, self.neighbourhood = weight, float(sigma), neighbourhood
        self.diagonal_distance, self.relaxation = diagonal_distance, relaxation
        self.loss_name = loss_name

    def forward(self, logits: torch.Tensor, batch: SegBatch,
                valid: torch.Tensor | None = None) -> torch.Tensor:
        """Runs on the image grid (logits resized); ``valid`` (B, H, W) bool, optional."""
        s, img, v, _, _ = prepare_grid(logits, batch.images, batch_valid(batch, valid))
        n = v.sum() if v is not None else s.new_tensor(s[:, 0].numel())
        if n == 0:
            return logits.sum() * 0.0
        h, w = s.shape[-2:]
        total = s.new_zeros(())
        for dy, dx in _OFFSETS[self.neighbourhood]:
            ab = shift_slices(dy, dx, h, w)
            if ab is None:
                continue
            a, b = ab
            with torch.no_grad():
                wpq = torch.exp((img[a] - img[b]).pow(2).sum(1) * (-0.5 / self.sigma ** 2))
                if v is not None:
                    wpq = wpq * v[a][:, 0] * v[b][:, 0]
                if self.diagonal_distance and dy and dx:
                    wpq = wpq / math.sqrt(2.0)
            if self.relaxation == 'quadratic':
                rho = 0.5 * (s[a] - s[b]).pow(2).sum(1)
            else:
                rho = 1.0 - (s[a] * s[b]).sum(1)
            total = total + (wpq * rho).sum()
        return self.weight * total / n
