"""Save a config's ``PatchEnsemble`` (members loaded from their checkpoints) as one checkpoint:

    python -m wsseg.patch.make_ensemble CONFIG OUT.pth [--cfg-options model.members.0.checkpoint=A.pth ...]

``tools/test.py CONFIG OUT.pth`` then tests the ensemble like any other model.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch
from mmengine.config import Config, DictAction


def save_ensemble_checkpoint(config: str, out: str, cfg_options: dict | None = None) -> str:
    """Build the ``PatchEnsemble`` of a config (members load their checkpoints) and save its
    weights, so ``tools/test.py CONFIG OUT`` can test it."""
    from wsseg.registry import MODELS
    from wsseg.utils.setup_env import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    model = MODELS.build(cfg.model)
    members = [m.get('checkpoint') for m in cfg.model.get('members', [])]
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    torch.save({'state_dict': model.state_dict(), 'meta': {'config': str(config), 'members': members}}, out)
    return out


def main(argv=None) -> str:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('config')
    p.add_argument('out')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config keys: a.b=1')
    args = p.parse_args(argv)
    path = save_ensemble_checkpoint(args.config, args.out, args.cfg_options)
    print(path)
    return path


if __name__ == '__main__':
    main()
