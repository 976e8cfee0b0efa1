"""What every wsseg loss receives: the network's logits and a :class:`SegBatch`.

A loss is a registered ``nn.Module`` (``MODELS``) with
``forward(logits: Tensor[B, K, H, W], batch: SegBatch) -> Tensor`` (a scalar) and an
attribute ``loss_name`` used as the key in the log.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from wsseg.structures import WeakLabels


@dataclass
class SegBatch:
    """One training batch, in the frame of the (augmented) network input."""
    images: torch.Tensor                    # (B, 3, H, W) float RGB in [0, 1], unnormalised
    target: torch.Tensor                    # (B, H, W) long, 255 = unlabelled
    weak: list[WeakLabels | None] = field(default_factory=list)   # per image
    img_paths: list[str] = field(default_factory=list)
    iteration: int = 0                      # the runner's iteration, for schedules
    valid: torch.Tensor | None = None       # (B, H, W) bool, False on batch padding; None = all

    @property
    def ignore_index(self) -> int:
        return 255
