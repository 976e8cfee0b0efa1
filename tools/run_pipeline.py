"""Run a whole weakly supervised pipeline from one config.

    python tools/run_pipeline.py configs/pipelines/camvid_scribbles_rloss_deeplab.py
    python tools/run_pipeline.py CONFIG --force pseudo_labels      # redo a stage (and what changes after it)
    python tools/run_pipeline.py CONFIG --until quality --nproc 2  # stop early; 2 torchrun ranks

Stages, each configured by its own key in CONFIG and written to ``<work_dir>/<stage>/``:
weak_labels -> pseudo_labels -> quality -> stage2 -> evaluate. A stage whose outputs are
complete and whose inputs (content digests of data, configs and earlier outputs) have not
changed is skipped; an interrupted one resumes. ``<work_dir>/pipeline_report.md`` sums up.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mmengine.config import Config, DictAction  # noqa: E402

from wsseg.pipeline import ORDER, StageError, run_pipeline  # noqa: E402
from wsseg.utils.io import DataError  # noqa: E402
from wsseg.utils.setup_env import register_all_modules  # noqa: E402


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('config')
    p.add_argument('--work-dir', help='default: work_dir in the config')
    p.add_argument('--force', default='', help=f'comma-separated stages to rerun ({", ".join(ORDER)})')
    p.add_argument('--until', choices=ORDER, help='stop after this stage')
    p.add_argument('--nproc', type=int, default=1, help='torchrun ranks for training and pseudo-labelling')
    p.add_argument('--rehash', action='store_true', help='re-read every input file (ignore the digest cache)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config keys: a.b=1')
    args = p.parse_args(argv)
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    force = tuple(s for s in args.force.split(',') if s)
    return run_pipeline(cfg, args.work_dir, force=force, until=args.until, nproc=args.nproc,
                        rehash=args.rehash)


if __name__ == '__main__':
    try:
        main()
    except (StageError, DataError) as e:
        sys.exit(f'error: {e}')
