"""The ResNet-18 trunk shared by SimCLR pretraining and the patch classifiers."""
from __future__ import annotations

from pathlib import Path

import torch
import torchvision
from torch import nn

from wsseg.models.resnet_trunk import load_resnet_trunk


class ResNet18Trunk(nn.Module):
    """torchvision ResNet-18 without its average pool and fc: (B, 3, H, W) -> (B, 512, H/32, W/32).

    Parameter names are torchvision's (``conv1.weight``, ``layer1.0.conv1.weight``, ...), so a
    SimCLR checkpoint and an ImageNet state dict (fc keys dropped) load by name.
    """

    out_channels = 512

    def __init__(self):
        super().__init__()
        net = torchvision.models.resnet18(weights=None)
        for name in ('conv1', 'bn1', 'relu', 'maxpool', 'layer1', 'layer2', 'layer3', 'layer4'):
            setattr(self, name, getattr(net, name))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


def load_trunk_weights(trunk: nn.Module, path: str | Path, kind: str = 'SimCLR') -> None:
    """Load a trunk file (``tools/pretrain_simclr.py`` / ``tools/pretrain_ssl.py`` output, or an
    ImageNet state dict whose ``fc.`` keys are dropped) by exact key match: any missing or
    unexpected key or shape mismatch is a :class:`CheckpointError` naming the file and keys
    (:func:`wsseg.models.resnet_trunk.load_resnet_trunk`)."""
    load_resnet_trunk(trunk, path, None, 'the ResNet-18 trunk', kind)
