"""Write pseudo-masks for a whole split: ``python tools/pseudo_label.py CONFIG [--out DIR]``.

The config names ``pseudo_labeller`` (a PSEUDO_LABELLERS entry) and ``pseudo_dataset``. The run
shows a progress bar, writes each PNG atomically (255 = undecided), and resumes after an
interruption by skipping images already written. Under torchrun each rank labels its shard.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mmengine.config import Config, DictAction  # noqa: E402

from wsseg.registry import DATASETS, PSEUDO_LABELLERS  # noqa: E402
from wsseg.utils.setup_env import register_all_modules  # noqa: E402


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('config')
    p.add_argument('--out', help='output folder (default: config pseudo_out_dir or work_dirs/<name>/pseudo_masks)')
    p.add_argument('--checkpoint', help='sets pseudo_labeller.checkpoint')
    p.add_argument('--save-confidence', action='store_true')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = p.parse_args(argv)
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    lab_cfg = dict(cfg.pseudo_labeller)
    if args.checkpoint:
        lab_cfg['checkpoint'] = args.checkpoint
    if 'model' not in lab_cfg and 'model' in cfg and lab_cfg['type'] == 'NetworkPseudoLabeller':
        lab_cfg['model'] = cfg.model
    out = args.out or cfg.get('pseudo_out_dir') or os.path.join(
        'work_dirs', Path(args.config).stem, 'pseudo_masks')
    labeller = PSEUDO_LABELLERS.build(lab_cfg)
    dataset = DATASETS.build(cfg.pseudo_dataset)
    rank, world = int(os.environ.get('RANK', 0)), int(os.environ.get('WORLD_SIZE', 1))
    report = labeller.run(dataset, out, save_confidence=args.save_confidence, rank=rank, world_size=world)
    print(f"\n{report['labelled']} written, {report['skipped_existing']} already done -> {out}")
    return report


if __name__ == '__main__':
    main()
