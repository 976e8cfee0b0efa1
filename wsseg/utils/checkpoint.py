"""Loading user checkpoints safely (weights_only) with errors that say what was expected."""
from __future__ import annotations

from pathlib import Path

import torch

_WHERE = {
    'SAM': 'https://github.com/facebookresearch/segment-anything#model-checkpoints '
           '(sam_vit_b_01ec64.pth, sam_vit_l_0b3195.pth, sam_vit_h_4b8939.pth)',
    'CLIP': 'open_clip pretrained weights (e.g. the ViT-B-32 openai checkpoint), saved locally',
    'ImageNet ResNet': 'torchvision ResNet weights (e.g. resnet18-f37072fd.pth from download.pytorch.org)',
    'SimCLR': 'the checkpoint written by tools/pretrain_simclr.py',
    'ResNet trunk': 'the trunk.pth written by tools/pretrain_ssl.py (e.g. '
                    'work_dirs/ssl/camvid_densecl/trunk.pth), or a torchvision ResNet state dict',
    'wsseg': 'a checkpoint written by tools/train.py in its work_dir',
}


class CheckpointError(FileNotFoundError):
    """A checkpoint is missing, unreadable or does not fit the model."""


def require_file(path: str | Path, kind: str) -> Path:
    """Return ``path`` or raise naming the file and where that kind of checkpoint comes from."""
    p = Path(path).expanduser()
    if p.is_dir():
        raise CheckpointError(directory_message(p, kind, _WHERE.get(kind, 'its provider')))
    if not p.is_file():
        raise CheckpointError(f'{kind} checkpoint not found: {p}. Get it from: {_WHERE.get(kind, "its provider")}, '
                              'and pass its local path in the config.')
    return p


def directory_message(p: Path, kind: str, expected: str) -> str:
    """The error for a checkpoint path that is a folder: what file belongs there, and the
    checkpoint-like files the folder holds (a likely slip is naming a work_dir)."""
    found = sorted(f.name for f in p.iterdir() if f.suffix in ('.pth', '.pt', '.bin', '.ckpt'))[:5]
    inside = f' It holds {", ".join(found)}; name one of them.' if found else ''
    return (f'{p} is a directory, not a file: expected a {kind} checkpoint file, i.e. {expected}.'
            f'{inside}')


def load_checkpoint_file(path: str | Path, kind: str, map_location='cpu') -> dict:
    """Load a whole checkpoint with ``torch.load(weights_only=True)``: tensors and plain
    Python data only, so a tampered file cannot run code. A missing, truncated, tampered or
    non-mapping file raises :class:`CheckpointError` naming it."""
    p = require_file(path, kind)
    try:
        obj = torch.load(p, map_location=map_location, weights_only=True)
    except Exception as e:  # pickle errors, truncated files, disallowed globals
        raise CheckpointError(f'{p}: cannot load as a {kind} checkpoint with weights_only=True '
                              f'(truncated, tampered or not a torch checkpoint): {e}') from e
    if not isinstance(obj, dict):
        raise CheckpointError(f'{p}: not a {kind} checkpoint (a {type(obj).__name__}, '
                              'expected a mapping)')
    return obj


def load_state_dict_file(path: str | Path, kind: str, strict_keys: bool = True) -> dict:
    """Load a state dict with ``torch.load(weights_only=True)``: no arbitrary unpickling.

    Accepts a bare state dict or one nested under ``state_dict`` / ``model``.
    """
    obj = load_checkpoint_file(path, kind)
    for key in ('state_dict', 'model'):
        if key in obj and isinstance(obj[key], dict):
            obj = obj[key]
    if not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise CheckpointError(f'{Path(path).expanduser()}: not a {kind} state dict '
                              '(expected a mapping of names to tensors)')
    return obj
