"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [--work-dir D]``.

The checkpoint is read with ``torch.load(weights_only=True)`` (by :class:`wsseg.engine.WssegRunner`):
a missing, truncated or tampered file is a ``CheckpointError`` naming it.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mmengine.config import DictAction  # noqa: E402

from tools.train import load_config  # noqa: E402
from wsseg.patch.ensemble import drop_member_checkpoints  # noqa: E402
from wsseg.registry import RUNNERS  # noqa: E402
from wsseg.utils.checkpoint import require_file  # noqa: E402
from wsseg.utils.setup_env import register_all_modules  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--work-dir')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    p.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none')
    p.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    register_all_modules()
    require_file(args.checkpoint, 'wsseg')
    cfg = load_config(args.config, args.cfg_options, args.work_dir)
    cfg.launcher = args.launcher
    cfg.load_from = args.checkpoint
    drop_member_checkpoints(cfg.model)   # a saved ensemble's checkpoint holds its members
    if cfg.get('default_scope') == 'mmseg':
        from wsseg.stage2 import prepare_mmseg
        prepare_mmseg()
    cfg.setdefault('runner_type', 'wsseg.WssegRunner')
    return RUNNERS.build(cfg).test()


if __name__ == '__main__':
    main()
