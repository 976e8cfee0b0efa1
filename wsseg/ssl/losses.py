"""Contrastive losses: SimCLR's NT-Xent on pooled features, and its dense form on locations
matched between the two views by geometry (DenseCL's dense contrast, with in-batch negatives)."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from wsseg.patch.simclr import nt_xent  # noqa: F401  (the global loss, shared with the patch path)


def geometric_matches(boxes: torch.Tensor, flips: torch.Tensor, grid: int) -> torch.Tensor:
    """For each cell of view 0's ``grid x grid`` feature map, the index of the view-1 cell that
    sees the same image point (its centre), or -1 where view 1 does not see it.

    ``boxes`` (B, 2, 4) are the views' crops ``x0, y0, x1, y1`` in image pixels and ``flips``
    (B, 2) their horizontal flips. Returns (B, grid*grid) long, row-major cells.
    """
    c = (torch.arange(grid, dtype=torch.float32, device=boxes.device) + 0.5) / grid
    v, u = torch.meshgrid(c, c, indexing='ij')                    # (g, g) view-0 cell centres
    u, v = u.reshape(1, -1), v.reshape(1, -1)
    b0, b1 = boxes[:, 0].unsqueeze(-1), boxes[:, 1].unsqueeze(-1)  # (B, 4, 1)
    u = torch.where(flips[:, :1], 1 - u, u)                       # undo view 0's flip
    x = b0[:, 0] + u * (b0[:, 2] - b0[:, 0])                      # image coordinates
    y = b0[:, 1] + v * (b0[:, 3] - b0[:, 1])
    u1 = (x - b1[:, 0]) / (b1[:, 2] - b1[:, 0])
    v1 = (y - b1[:, 1]) / (b1[:, 3] - b1[:, 1])
    u1 = torch.where(flips[:, 1:], 1 - u1, u1)
    inside = (u1 >= 0) & (u1 < 1) & (v1 >= 0) & (v1 < 1)
    j = (v1.clamp(0, 1 - 1e-6) * grid).long() * grid + (u1.clamp(0, 1 - 1e-6) * grid).long()
    return torch.where(inside, j, torch.full_like(j, -1))


def dense_nt_xent(d0: torch.Tensor, d1: torch.Tensor, matches: torch.Tensor,
                  temperature: float = 0.2) -> torch.Tensor:
    """Dense contrast: each matched location of view 0 must pick its partner among all
    locations of view 1 in the batch (B*g*g candidates). ``d0``, ``d1``: (B, D, g, g);
    ``matches``: (B, g*g) from :func:`geometric_matches`. Zero when nothing matches."""
    if temperature <= 0:
        raise ValueError(f'dense_nt_xent: temperature must be > 0, got {temperature}')
    b, d, g, _ = d0.shape
    q = F.normalize(d0.flatten(2).transpose(1, 2).reshape(-1, d), dim=1)   # (B*g*g, D)
    k = F.normalize(d1.flatten(2).transpose(1, 2).reshape(-1, d), dim=1)
    offset = (torch.arange(b, device=matches.device) * g * g).unsqueeze(1)
    target = torch.where(matches >= 0, matches + offset, matches).reshape(-1)
    keep = target >= 0
    if not keep.any():
        return d0.sum() * 0
    logits = q[keep] @ k.t() / temperature
    return F.cross_entropy(logits, target[keep])
