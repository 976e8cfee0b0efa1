"""DeepLabV3+ on a torchvision ResNet: the core's pure-PyTorch segmentation network.

Used wherever wsseg trains a network itself (demo, dense and logic losses, benchmarks);
the second stage uses mmsegmentation's models instead.
"""
from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.segmentation.deeplabv3 import ASPP

from wsseg.models.resnet_trunk import RESNETS, load_resnet_trunk, unstride
from wsseg.registry import MODELS

# torchvision trunk prefix -> DeepLabV3Plus module name (wsseg/models/resnet_trunk.py)
TRUNK_PREFIXES = {'conv1.': 'stem.0.', 'bn1.': 'stem.1.', 'layer1.': 'layer1.', 'layer2.': 'layer2.',
                  'layer3.': 'layer3.', 'layer4.': 'layer4.'}


def _group_norm(bn: nn.BatchNorm2d, groups: int) -> nn.GroupNorm:
    """At most ``groups`` groups of at least 2 channels (ASPP's pooled branch is 1x1)."""
    c = bn.num_features
    return nn.GroupNorm(math.gcd(groups, c // 2) if c % 2 == 0 else 1, c)


def _to_group_norm(module: nn.Module, groups: int = 32) -> None:
    """Replace every BatchNorm2d under ``module`` by a GroupNorm (:func:`_group_norm`)."""
    for name, child in module.named_children():
        if isinstance(child, nn.BatchNorm2d):
            setattr(module, name, _group_norm(child, groups))
        else:
            _to_group_norm(child, groups)


@MODELS.register_module()
class DeepLabV3Plus(nn.Module):
    """ResNet trunk, ASPP on the last stage, and a decoder fusing the stride-4 features.

    Args:
        num_classes: output channels.
        depth: ResNet depth (18, 34 or 50).
        output_stride: 8, 16 or 32; lower keeps more resolution and costs more.
        pretrained: optional path of a ResNet trunk: a file of ``tools/pretrain_ssl.py`` or a
            torchvision ResNet state dict (no download here). Loaded by exact key match
            (:func:`wsseg.models.resnet_trunk.load_resnet_trunk`): another depth or width is
            an error naming the file and the keys.
        norm: ``'BN'`` (BatchNorm, default) or ``'GN'`` (GroupNorm, up to 32 groups of at
            least 2 channels). GN does not depend on the batch: it suits small per-GPU
            batches, and DDP over N ranks then equals one process with the whole batch.
    """

    def __init__(self, num_classes: int, depth: int = 18, output_stride: int = 16,
                 aspp_rates: tuple[int, ...] = (6, 12, 18), aspp_channels: int = 128,
                 pretrained: str | None = None, norm: str = 'BN'):
        super().__init__()
        if norm not in ('BN', 'GN'):
            raise ValueError(f"DeepLabV3Plus: norm must be 'BN' or 'GN', got {norm!r}")
        if norm == 'GN' and pretrained:
            raise ValueError('DeepLabV3Plus: norm=GN cannot use pretrained BatchNorm weights '
                             f'({pretrained}); use norm=BN or no pretrained trunk')
        if depth not in RESNETS:
            raise ValueError(f'DeepLabV3Plus: depth must be one of {list(RESNETS)}, got {depth}')
        if output_stride not in (8, 16, 32):
            raise ValueError(f'DeepLabV3Plus: output_stride must be 8, 16 or 32, got {output_stride}')
        r = RESNETS[depth](weights=None)
        if output_stride <= 16:
            unstride(r.layer4, 2 if output_stride == 16 else 4)
        if output_stride == 8:
            unstride(r.layer3, 2)
        self.stem = nn.Sequential(r.conv1, r.bn1, r.relu, r.maxpool)
        self.layer1, self.layer2, self.layer3, self.layer4 = r.layer1, r.layer2, r.layer3, r.layer4
        c_low, c_high = (64, 512) if depth < 50 else (256, 2048)
        self.aspp = ASPP(c_high, list(aspp_rates), aspp_channels)
        self.low_proj = nn.Sequential(nn.Conv2d(c_low, 48, 1, bias=False), nn.BatchNorm2d(48), nn.ReLU(True))
        self.decoder = nn.Sequential(
            nn.Conv2d(aspp_channels + 48, aspp_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(aspp_channels), nn.ReLU(True),
            nn.Conv2d(aspp_channels, aspp_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(aspp_channels), nn.ReLU(True))
        self.classifier = nn.Conv2d(aspp_channels, num_classes, 1)
        if norm == 'GN':
            _to_group_norm(self)
        if pretrained:
            load_resnet_trunk(self, pretrained, TRUNK_PREFIXES, f'DeepLabV3Plus (ResNet-{depth})')

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) normalised image -> (B, K, H, W) logits."""
        size = x.shape[-2:]
        low = self.layer1(self.stem(x))
        high = self.aspp(self.layer4(self.layer3(self.layer2(low))))
        high = F.interpolate(high, size=low.shape[-2:], mode='bilinear', align_corners=False)
        y = self.classifier(self.decoder(torch.cat([high, self.low_proj(low)], 1)))
        return F.interpolate(y, size=size, mode='bilinear', align_corners=False)
