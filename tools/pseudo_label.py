"""Write pseudo-masks for a whole split: ``python tools/pseudo_label.py CONFIG [--out DIR]``.

The config names ``pseudo_labeller`` (a PSEUDO_LABELLERS entry) and ``pseudo_dataset``. The run
shows a progress bar, writes each PNG atomically (255 = undecided), and resumes after an
interruption by skipping images already written. Under torchrun (``--launcher pytorch``, see
``tools/dist_pseudo_label.sh``) each rank labels its shard ``rank::world_size``; rank 0 merges
the ranks' counts into ``<out>/pseudo_label_report.json``. ``bad_data='skip'`` on the dataset
(or ``--bad-data skip``) leaves unreadable images out and lists them in that report.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.dist import get_dist_info  # noqa: E402
from mmengine.runner import set_random_seed  # noqa: E402

from wsseg.engine.dist import init_distributed  # noqa: E402
from wsseg.registry import DATASETS, PSEUDO_LABELLERS  # noqa: E402
from wsseg.utils.io import tolerant_console  # noqa: E402
from wsseg.utils.setup_env import register_all_modules  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('config')
    p.add_argument('--out', help='output folder (default: config pseudo_out_dir or work_dirs/<name>/pseudo_masks)')
    p.add_argument('--checkpoint', help='sets pseudo_labeller.checkpoint')
    p.add_argument('--save-confidence', action='store_true')
    p.add_argument('--bad-data', choices=['stop', 'skip'], help="overrides the dataset's bad_data policy")
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    p.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none',
                   help='pytorch under torchrun; slurm under srun')
    p.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    tolerant_console()          # any file name prints, UTF-8 or not
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    note = init_distributed(args.launcher, **dict(cfg.get('env_cfg', {}).get('dist_cfg', {})))
    rank, world = get_dist_info()
    if note and rank == 0:
        print(note)
    # same seed on every rank: a randomly initialised labeller is the same network everywhere
    randomness = cfg.get('randomness', {})
    set_random_seed(randomness.get('seed', 0), deterministic=randomness.get('deterministic', False))
    lab_cfg = dict(cfg.pseudo_labeller)
    if args.checkpoint:
        lab_cfg['checkpoint'] = args.checkpoint
    if 'model' not in lab_cfg and 'model' in cfg and lab_cfg['type'] == 'NetworkPseudoLabeller':
        lab_cfg['model'] = cfg.model
    out = args.out or cfg.get('pseudo_out_dir') or os.path.join(
        'work_dirs', Path(args.config).stem, 'pseudo_masks')
    if args.bad_data:
        cfg.pseudo_dataset.bad_data = args.bad_data
    labeller = PSEUDO_LABELLERS.build(lab_cfg)
    dataset = DATASETS.build(cfg.pseudo_dataset)
    report = labeller.run(dataset, out, save_confidence=args.save_confidence, rank=rank, world_size=world)
    if rank == 0:
        print(f"\n{report['labelled']} written, {report['skipped_existing']} already done -> {out}")
        if report.get('redone_broken'):
            print(f"{report['redone_broken']} broken output(s) redone (0-byte, truncated or not "
                  'a PNG)')
        for b in report['skipped_bad']:
            print(f"skipped (bad data): {b['file']}: {b['error']}")
        if report['skipped_bad']:
            print(f"{len(report['skipped_bad'])} image(s) skipped as bad data, listed in "
                  f"{Path(out) / 'pseudo_label_report.json'}")
    return report


if __name__ == '__main__':
    main()
