"""One ResNet trunk checkpoint for every network that has the trunk.

A trunk checkpoint is ``{'state_dict': {torchvision ResNet key: tensor}, 'meta': {'arch':
'resnet18', ...}}``, written by ``tools/pretrain_ssl.py``. Its keys are torchvision's
(``conv1.weight``, ``bn1.running_mean``, ``layer1.0.conv1.weight``, ...; no ``fc.``), which are
also mmseg ``ResNet``'s backbone keys, so mmseg loads it through its own ``init_cfg``
(``dict(type='Pretrained', checkpoint=...)``). wsseg's own networks name the same modules
differently; each passes a prefix map (torchvision prefix -> its own) to
:func:`load_resnet_trunk`, which loads by exact key match: a missing or unexpected key, a shape
mismatch or another architecture is a :class:`CheckpointError` naming the file and the keys.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from torchvision.models import resnet18, resnet34, resnet50

from wsseg.utils.checkpoint import CheckpointError, load_checkpoint_file

KIND = 'ResNet trunk'
RESNETS = {18: resnet18, 34: resnet34, 50: resnet50}


def unstride(layer: nn.Sequential, dilation: int) -> None:
    """Remove a ResNet stage's stride and dilate its 3x3 convs instead (keeps resolution)."""
    for m in layer.modules():
        if isinstance(m, nn.Conv2d):
            if m.stride == (2, 2):
                m.stride = (1, 1)
            if m.kernel_size == (3, 3):
                m.dilation, m.padding = (dilation, dilation), (dilation, dilation)


class ResNetTrunk(nn.Module):
    """torchvision ResNet without pool and fc: (B, 3, H, W) -> (B, C, H/s, W/s).

    ``state_dict`` keys are torchvision's, so a trunk file loads into it with no prefix map.
    ``output_stride`` 16 dilates layer4, as the segmentation networks do.
    """

    def __init__(self, depth: int = 18, output_stride: int = 32):
        super().__init__()
        if depth not in RESNETS:
            raise ValueError(f'ResNetTrunk: depth must be one of {list(RESNETS)}, got {depth}')
        r = RESNETS[depth](weights=None)
        if output_stride == 16:
            unstride(r.layer4, 2)
        elif output_stride != 32:
            raise ValueError(f'ResNetTrunk: output_stride must be 16 or 32, got {output_stride}')
        for name in ('conv1', 'bn1', 'relu', 'maxpool', 'layer1', 'layer2', 'layer3', 'layer4'):
            setattr(self, name, getattr(r, name))
        self.out_channels = 512 if depth < 50 else 2048

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))
STAGES = ('conv1.', 'bn1.', 'layer1.', 'layer2.', 'layer3.', 'layer4.')


def read_trunk_checkpoint(path: str | Path, kind: str = KIND) -> tuple[dict, dict]:
    """(state dict with torchvision keys, meta) of a trunk file; ``fc.`` keys dropped."""
    obj = load_checkpoint_file(path, kind)
    state = obj.get('state_dict', obj.get('model', obj))
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f'{path}: not a {kind} checkpoint (expected a mapping of names to tensors)')
    if any(k.startswith('trunk.') for k in state):
        state = {k[len('trunk.'):]: v for k, v in state.items() if k.startswith('trunk.')}
    meta = obj.get('meta', {}) if isinstance(obj.get('meta'), dict) else {}
    return {k: v for k, v in state.items() if not k.startswith('fc.')}, meta


def key_mismatches(own: dict, state: dict) -> tuple[list[str], list[str], list[str]]:
    """(missing keys, unexpected keys, shape mismatches) of ``state`` against ``own``."""
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = sorted(f'{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(own[k].shape)}'
                    for k in set(own) & set(state) if tuple(state[k].shape) != tuple(own[k].shape))
    return missing, unexpected, shapes


def _summary(keys: list[str], limit: int = 12) -> str:
    """``n [keys]``, or with more than 8 keys ``n [block.*, ...]``: grouped by their first two
    name parts (e.g. ``layer1.2.*``)."""
    if len(keys) <= 8:
        return f'{len(keys)} {keys}'
    groups = list(dict.fromkeys('.'.join(k.split('.')[:2]) + ('.*' if k.count('.') > 1 else '')
                                for k in keys))
    more = f', ... {len(groups) - limit} more' if len(groups) > limit else ''
    return f'{len(keys)} [{", ".join(groups[:limit])}{more}]'


def mismatch_error(path: str | Path, what: str, missing: list, unexpected: list,
                   shapes: list, kind: str = KIND) -> CheckpointError:
    return CheckpointError(f'{path}: {kind} checkpoint does not fit {what}: missing keys '
                           f'{_summary(missing)}; unexpected keys {_summary(unexpected)}; '
                           f'shape mismatches {len(shapes)} {shapes[:6]}')


def load_resnet_trunk(net: nn.Module, path: str | Path, prefixes: dict[str, str] | None = None,
                      what: str = 'the network', kind: str = KIND) -> dict:
    """Load a trunk file into ``net``, renaming torchvision prefixes by ``prefixes``
    (e.g. ``{'conv1.': 'stem.0.', 'bn1.': 'stem.1.', 'layer1.': 'layer1.', ...}``; ``None``:
    ``net`` uses torchvision's names).

    Every trunk key of ``net`` (those under the mapped prefixes) must be in the file with its
    shape, and the file must hold nothing else; errors name keys as the file does. Returns the
    file's meta.
    """
    prefixes = prefixes or {p: p for p in STAGES}
    state, meta = read_trunk_checkpoint(path, kind)
    back = {dst: src for src, dst in prefixes.items()}
    own = {}                       # the network's trunk tensors, under the file's (torchvision) names
    for k, v in net.state_dict().items():
        dst = next((d for d in back if k.startswith(d)), None)
        if dst is not None:
            own[back[dst] + k[len(dst):]] = v
    missing, unexpected, shapes = key_mismatches(own, state)
    if missing or unexpected or shapes:
        raise mismatch_error(path, what, missing, unexpected, shapes, kind)
    renamed = {}
    for k, v in state.items():
        src = next(p for p in prefixes if k.startswith(p))
        renamed[prefixes[src] + k[len(src):]] = v
    net.load_state_dict(renamed, strict=False)
    return meta


def save_trunk(path: str | Path, state: dict, meta: dict) -> Path:
    """Write a trunk file atomically (tensors moved to CPU)."""
    from wsseg.utils.io import atomic_write
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    plain = {k: v for k, v in meta.items() if isinstance(v, (int, float, str, bool, list))}
    with atomic_write(path) as f:
        torch.save({'state_dict': {k: v.detach().cpu() for k, v in state.items()}, 'meta': plain}, f)
    return path
