"""The pretraining network: a ResNet trunk with torchvision's module names, a global projection
head (SimCLR) and, for DenseCL, a dense 1x1-conv projection head on the feature map."""
from __future__ import annotations

from typing import Sequence

import torch
from mmengine.model import BaseModel
from torch import nn

from wsseg.models.resnet_trunk import ResNetTrunk
from wsseg.registry import MODELS

from .losses import dense_nt_xent, geometric_matches, nt_xent

METHODS = ('simclr', 'densecl')


def mlp(c_in: int, c_out: int, dense: bool) -> nn.Sequential:
    """Two-layer projection head: linear layers, or 1x1 convs on a feature map."""
    layer = (lambda a, b: nn.Conv2d(a, b, 1)) if dense else nn.Linear
    return nn.Sequential(layer(c_in, c_in), nn.ReLU(inplace=True), layer(c_in, c_out))


@MODELS.register_module()
class SSLPretrainer(BaseModel):
    """SimCLR or DenseCL pretraining of a ResNet trunk.

    Args:
        method: ``'simclr'`` (NT-Xent on pooled features) or ``'densecl'`` (that, plus the dense
            contrast of locations matched by the views' geometry, weighted ``dense_weight``).
        depth, output_stride: the trunk; stride 16 (layer4 dilated, as in the segmentation
            networks) gives a 7x7 map of a 112-pixel view.
        proj_dim, temperature: projection size and contrast temperature.
        mean, std: input normalisation (0-255 scale), as the segmentation configs use.
    """

    def __init__(self, method: str = 'densecl', depth: int = 18, output_stride: int = 16,
                 proj_dim: int = 128, temperature: float = 0.2, dense_weight: float = 0.5,
                 mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375), init_cfg: dict | None = None):
        super().__init__(data_preprocessor=dict(type='BaseDataPreprocessor'), init_cfg=init_cfg)
        if method not in METHODS:
            raise ValueError(f'SSLPretrainer: method must be one of {METHODS}, got {method!r}')
        self.method, self.depth = method, depth
        self.temperature, self.dense_weight = temperature, dense_weight
        self.trunk = ResNetTrunk(depth, output_stride)
        c = self.trunk.out_channels
        self.global_head = mlp(c, proj_dim, dense=False)
        self.dense_head = mlp(c, proj_dim, dense=True) if method == 'densecl' else None
        self.register_buffer('mean', torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(std).view(1, 3, 1, 1), persistent=False)

    def features(self, views: torch.Tensor) -> torch.Tensor:
        """(N, 3, S, S) uint8 or 0-255 float views -> trunk feature maps."""
        return self.trunk((views.float() - self.mean) / self.std)

    def forward(self, inputs: torch.Tensor, boxes: torch.Tensor | None = None,
                flips: torch.Tensor | None = None, mode: str = 'loss'):
        """``inputs`` (B, 2, 3, S, S) view pairs. ``'loss'`` -> dict of losses; ``'tensor'`` ->
        trunk features of both views (2B, C, g, g)."""
        b = inputs.shape[0]
        f = self.features(inputs.flatten(0, 1))              # (2B, C, g, g), pairs interleaved
        if mode == 'tensor':
            return f
        if mode != 'loss':
            raise ValueError(f"SSLPretrainer: mode must be 'loss' or 'tensor', got {mode!r}")
        f = f.view(b, 2, *f.shape[1:])
        g = self.global_head(f.mean((3, 4)).flatten(0, 1)).view(b, 2, -1)
        losses = dict(loss_global=nt_xent(g[:, 0], g[:, 1], self.temperature))
        if self.method == 'densecl':
            d = self.dense_head(f.flatten(0, 1)).view(b, 2, -1, *f.shape[-2:])
            m01 = geometric_matches(boxes, flips, f.shape[-1])
            m10 = geometric_matches(boxes.flip(1), flips.flip(1), f.shape[-1])
            dense = 0.5 * (dense_nt_xent(d[:, 0], d[:, 1], m01, self.temperature)
                           + dense_nt_xent(d[:, 1], d[:, 0], m10, self.temperature))
            losses = dict(loss_global=(1 - self.dense_weight) * losses['loss_global'],
                          loss_dense=self.dense_weight * dense)
        return losses

    def trunk_meta(self) -> dict:
        return dict(arch=f'resnet{self.depth}', method=self.method)
