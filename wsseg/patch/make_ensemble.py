"""Save a config's ``PatchEnsemble`` (members loaded from their checkpoints) as one checkpoint:

    python -m wsseg.patch.make_ensemble CONFIG OUT.pth
"""
from __future__ import annotations

import torch


def save_ensemble_checkpoint(config: str, out: str) -> str:
    """Build the ``PatchEnsemble`` of a config (members load their checkpoints) and save its
    weights, so ``tools/test.py CONFIG OUT`` can test it."""
    from pathlib import Path

    from mmengine.config import Config

    from wsseg.utils.setup_env import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(config)
    from wsseg.registry import MODELS
    model = MODELS.build(cfg.model)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    torch.save({'state_dict': model.state_dict(), 'meta': {'config': str(config)}}, out)
    return out


if __name__ == '__main__':
    import sys
    if len(sys.argv) != 3:
        sys.exit('usage: python -m wsseg.patch.make_ensemble CONFIG OUT.pth')
    print(save_ensemble_checkpoint(sys.argv[1], sys.argv[2]))
