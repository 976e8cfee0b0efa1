"""Self-supervised pretraining of the segmentation trunk from an mmengine config.

    python tools/pretrain_ssl.py configs/ssl/camvid_densecl.py [--folders DIR ...]
        [--work-dir D] [--fresh] [--cfg-options k=v ...]

Trains on the config's unlabelled folders plus any ``--folders`` given, resumes from the last
checkpoint in the work dir unless ``--fresh`` (so rerunning after a kill continues; a run whose
``trunk.pth`` already holds all of the config's iterations is not started again), and writes
``<work_dir>/trunk.pth``: DeepLabV3+ and the CAM classifier load it with
``pretrained='<path>'``, the patch classifier with ``init_checkpoint='<path>'``, mmseg's ResNet
with ``init_cfg=dict(type='Pretrained', checkpoint='<path>')``. Corrupt images follow the
dataset's ``bad_data`` policy (``--cfg-options train_dataloader.dataset.bad_data=skip``); the
skipped files are listed in ``<work_dir>/bad_data.jsonl`` and printed at the end.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mmengine.config import DictAction  # noqa: E402

from tools.train import build_runner, finish, load_config  # noqa: E402
from wsseg.models.resnet_trunk import read_trunk_checkpoint  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('config')
    p.add_argument('--folders', nargs='+', default=[], help='extra folders of unlabelled images')
    p.add_argument('--work-dir')
    p.add_argument('--fresh', action='store_true', help='start again instead of resuming')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config keys: a.b=1')
    return p.parse_args(argv)


def finished_trunk(config: str, work_dir: str | None, options: dict) -> Path | None:
    """``<work_dir>/trunk.pth`` when it was written after the config's last iteration, else None
    (resuming a finished run would only replay the data loader up to its end)."""
    cfg = load_config(config, options, work_dir)
    trunk = Path(cfg.work_dir, 'trunk.pth')
    if not trunk.is_file():
        return None
    _, meta = read_trunk_checkpoint(trunk)
    return trunk if meta.get('iters', -1) >= cfg.train_cfg.max_iters else None


def main(argv=None) -> Path:
    args = parse_args(argv)
    options = dict(args.cfg_options or {})
    if not args.fresh and (trunk := finished_trunk(args.config, args.work_dir, options)) is not None:
        print(f'pretrain_ssl: {trunk} was written after the last iteration already, kept (--fresh trains again)')
        return trunk
    train_args = argparse.Namespace(config=args.config, work_dir=args.work_dir,
                                    resume=None if args.fresh else 'auto', cfg_options=options,
                                    launcher='none', local_rank=0, extra_folders=args.folders)
    t0 = time.time()
    runner = build_runner(train_args)
    finish(runner, t0)
    trunk = Path(runner.work_dir, 'trunk.pth')
    print(f'pretrain_ssl: trunk written to {trunk}\n  load it with: model = dict(net=dict(pretrained={str(trunk)!r}))')
    return trunk


if __name__ == '__main__':
    main()
