"""Train a model from an mmengine config: ``python tools/train.py CONFIG [--work-dir D] [--resume]``.

Builds :class:`wsseg.engine.WssegRunner` (unless the config names another ``runner_type``):
atomic checkpoints loaded with ``weights_only=True``, exact resume, and under torchrun
(``--launcher pytorch``, see ``tools/dist_train.sh``) gloo instead of nccl when there is no
CUDA. With ``bad_data='skip'`` on the training dataset, skipped files are listed in
``<work_dir>/bad_data.jsonl``.
"""
from __future__ import annotations

import argparse
import json
import resource
import time
import os.path as osp
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from wsseg.datasets.base import read_bad_data_report  # noqa: E402
from wsseg.registry import RUNNERS  # noqa: E402
from wsseg.utils.setup_env import register_all_modules  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('config')
    p.add_argument('--work-dir', help='where logs and checkpoints go (default work_dirs/<config name>)')
    p.add_argument('--resume', nargs='?', const='auto', default=None,
                   help='resume from the latest checkpoint in work_dir, or from a given checkpoint path')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config keys: a.b=1')
    p.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none')
    p.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return p.parse_args(argv)


def load_config(config: str, options: dict | None = None, work_dir: str | None = None) -> Config:
    """The config with ``--cfg-options`` merged and its work dir resolved as every tool does: the
    given one, else the config's ``work_dir``, else ``work_dirs/<config name>``."""
    cfg = Config.fromfile(config)
    if options:
        cfg.merge_from_dict(options)
    cfg.work_dir = work_dir or cfg.get('work_dir') or osp.join('work_dirs', osp.splitext(osp.basename(config))[0])
    return cfg


def build_runner(args) -> Runner:
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options, args.work_dir)
    cfg.launcher = args.launcher
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume:
        cfg.resume, cfg.load_from = True, args.resume
    train_set = cfg.get('train_dataloader', {}).get('dataset', {})
    if getattr(args, 'extra_folders', None):   # tools/pretrain_ssl.py --folders
        train_set['folders'] = list(train_set.get('folders', [])) + list(args.extra_folders)
    if train_set.get('bad_data') == 'skip' and not train_set.get('bad_data_report'):
        train_set['bad_data_report'] = osp.join(cfg.work_dir, 'bad_data.jsonl')
    if cfg.get('default_scope') == 'mmseg':
        from wsseg.stage2 import prepare_mmseg
        prepare_mmseg()
    cfg.setdefault('runner_type', 'wsseg.WssegRunner')
    return RUNNERS.build(cfg)


def finish(runner: Runner, t0: float) -> None:
    """Train, list the skipped bad files, and write ``run_stats.json`` (wall time, peak RSS)."""
    runner.train()
    report = runner.cfg.train_dataloader.dataset.get('bad_data_report')
    skipped = read_bad_data_report(report) if report else []
    if skipped:
        runner.logger.warning(f'{len(skipped)} bad training file(s) skipped, listed in {report}')
    if runner.rank == 0:   # for tools/benchmark.py: wall time and the peak memory of this process
        stats = dict(wall_s=round(time.time() - t0, 1),
                     peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
        Path(runner.work_dir, 'run_stats.json').write_text(json.dumps(stats))


def main(argv=None) -> None:
    t0 = time.time()
    finish(build_runner(parse_args(argv)), t0)


if __name__ == '__main__':
    main()
