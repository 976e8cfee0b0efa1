"""The ResNet-18 trunk shared by SimCLR pretraining and the patch classifiers."""
from __future__ import annotations

from pathlib import Path

from torch import nn

from wsseg.models.resnet_trunk import ResNetTrunk, load_resnet_trunk


class ResNet18Trunk(ResNetTrunk):
    """ResNet-18 at stride 32: (B, 3, H, W) -> (B, 512, H/32, W/32), torchvision's key names, so a
    SimCLR checkpoint and an ImageNet state dict (fc keys dropped) load by name."""

    out_channels = 512

    def __init__(self):
        super().__init__(18, 32)


def load_trunk_weights(trunk: nn.Module, path: str | Path, kind: str = 'SimCLR') -> None:
    """Load a trunk file (``tools/pretrain_simclr.py`` / ``tools/pretrain_ssl.py`` output, or an
    ImageNet state dict whose ``fc.`` keys are dropped) by exact key match: any missing or
    unexpected key or shape mismatch is a :class:`CheckpointError` naming the file and keys
    (:func:`wsseg.models.resnet_trunk.load_resnet_trunk`)."""
    load_resnet_trunk(trunk, path, None, 'the ResNet-18 trunk', kind)
