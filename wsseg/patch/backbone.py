"""The ResNet-18 trunk shared by SimCLR pretraining and the patch classifiers."""
from __future__ import annotations

from pathlib import Path

import torch
import torchvision
from torch import nn

from wsseg.utils.checkpoint import CheckpointError, load_state_dict_file


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


def load_trunk_weights(trunk: nn.Module, path: str | Path, kind: str = 'SimCLR',
                       drop_prefixes: tuple[str, ...] = ('fc.',)) -> None:
    """Load a trunk state dict (e.g. from ``tools/pretrain_simclr.py``) by exact key match.

    Keys under ``trunk.`` are unwrapped; keys starting with ``drop_prefixes`` (an ImageNet
    classifier's ``fc.``) are ignored. Any missing or unexpected key, or a shape mismatch, is
    a :class:`CheckpointError` that names the file and lists the mismatches.
    """
    state = load_state_dict_file(path, kind)
    if any(k.startswith('trunk.') for k in state):
        state = {k[6:]: v for k, v in state.items() if k.startswith('trunk.')}
    state = {k: v for k, v in state.items() if not k.startswith(drop_prefixes)}
    own = trunk.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = sorted(f'{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(own[k].shape)}'
                    for k in set(own) & set(state) if state[k].shape != own[k].shape)
    if missing or unexpected or shapes:
        def cut(xs):
            return xs[:10] + ([f'... {len(xs) - 10} more'] if len(xs) > 10 else [])
        raise CheckpointError(f'{path}: {kind} checkpoint does not fit the ResNet-18 trunk: '
                              f'missing keys {cut(missing)}; unexpected keys {cut(unexpected)}; '
                              f'shape mismatches {cut(shapes)}')
    trunk.load_state_dict(state, strict=True)
