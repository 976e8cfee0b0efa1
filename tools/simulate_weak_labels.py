"""Simulate weak labels from a folder of full masks and write them as partial masks.

    python tools/simulate_weak_labels.py MASK_DIR OUT_DIR --kind scribbles [--coverage 0.03]
    python tools/simulate_weak_labels.py MASK_DIR OUT_DIR --kind points [--n-per-region 1]

Each output PNG holds the class of every scribble / point pixel and 255 elsewhere, so it can
be trained on directly (partial CE) by any config. The seeds are per image (seed, file stem),
the same ones the pipeline's ``LoadWeakLabels(simulate=True)`` uses, so both give the same
labels. ``stats.json`` reports the labelled fraction.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from mmengine.utils import ProgressBar  # noqa: E402

from wsseg.registry import WEAK_LABELS  # noqa: E402
from wsseg.utils.io import DataError, read_mask, write_png_atomic  # noqa: E402
from wsseg.utils.setup_env import register_all_modules  # noqa: E402


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('mask_dir')
    p.add_argument('out_dir')
    p.add_argument('--kind', choices=['scribbles', 'points'], default='scribbles')
    p.add_argument('--coverage', type=float, default=0.03, help='scribbles: fraction of pixels')
    p.add_argument('--n-per-region', type=int, default=1, help='points: clicks per region')
    p.add_argument('--num-classes', type=int, default=None, help='check mask values against this')
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)
    register_all_modules()
    masks = sorted(Path(args.mask_dir).glob('*.png'))
    if not masks:
        raise DataError(f'{args.mask_dir}: no PNG mask found')
    src = (dict(type='Scribbles', simulate=True, coverage=args.coverage, seed=args.seed)
           if args.kind == 'scribbles' else
           dict(type='Points', simulate=True, n_per_region=args.n_per_region, seed=args.seed))
    source = WEAK_LABELS.build(src)
    classes = tuple(str(i) for i in range(args.num_classes or 255))
    out = Path(args.out_dir)
    fractions = {}
    bar = ProgressBar(len(masks))
    for path in masks:
        gt = read_mask(path, args.num_classes)
        results = dict(img_id=path.stem, img_path=str(path), img_shape=gt.shape, gt_seg_map=gt,
                       classes=classes)
        source(results)
        partial = results['weak'].partial_mask()
        write_png_atomic(out / path.name, partial)
        fractions[path.stem] = float((partial != 255).mean())
        bar.update()
    stats = dict(kind=args.kind, source=src, images=len(masks),
                 labelled_fraction_mean=float(np.mean(list(fractions.values()))),
                 labelled_fraction_min=float(np.min(list(fractions.values()))),
                 labelled_fraction_max=float(np.max(list(fractions.values()))))
    (out / 'stats.json').write_text(json.dumps(dict(stats, per_image=fractions), indent=1))
    print(f"\n{args.kind}: {100 * stats['labelled_fraction_mean']:.2f}% of pixels labelled on average "
          f'over {len(masks)} masks -> {out}')
    return stats


if __name__ == '__main__':
    main()
