"""The main job on embedded demo data, end to end, in a few minutes on 2 CPU cores.

    python tools/demo.py [--out demo_out] [--iters 300] [--seed 0]

1. generate synthetic multi-class scenes with full masks (wsseg/datasets/synthetic.py);
2. simulate 3% scribbles on the train split and save them as PNGs;
3. train DeepLabV3+ R18 with partial CE on the scribbles (mmengine Runner);
4. write pseudo-masks for the train split and score them against the generator's truth;
5. score the network on val, and save overlay pictures.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from mmengine.config import Config  # noqa: E402

from wsseg.datasets.synthetic import make_scenes  # noqa: E402
from wsseg.evaluation.confusion import confusion_matrix, scores_from_confusion  # noqa: E402
from wsseg.registry import DATASETS, PSEUDO_LABELLERS, RUNNERS  # noqa: E402
from wsseg.utils.io import read_image, read_mask, write_png_atomic  # noqa: E402
from wsseg.utils.setup_env import register_all_modules  # noqa: E402
from wsseg.visualization.plots import save_overlay_grid  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def score_folder(pred_dir: Path, gt_dir: Path, k: int) -> dict:
    cm = np.zeros((k, k), np.int64)
    labelled = total = 0
    for gt_path in sorted(gt_dir.glob('*.png')):
        pred = read_mask(pred_dir / gt_path.name)
        cm += confusion_matrix(pred, read_mask(gt_path), k)
        labelled += int((pred != 255).sum())
        total += pred.size
    s = scores_from_confusion(cm)
    s['labelled_fraction'] = labelled / max(total, 1)
    return s


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', default='demo_out')
    p.add_argument('--config', default=str(REPO / 'configs/demo/scenes_scribbles.py'))
    p.add_argument('--iters', type=int, default=None, help='training iterations (config default 300)')
    p.add_argument('--n-train', type=int, default=80)
    p.add_argument('--n-val', type=int, default=20)
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)
    t0 = time.time()
    register_all_modules()
    out = Path(args.out).resolve()
    data = out / 'data'

    cfg = Config.fromfile(args.config)
    classes = tuple(cfg.classes)
    k = len(classes)
    print(f'[1/5] synthetic scenes -> {data}')
    if not (data / 'masks' / 'val').is_dir():
        make_scenes(data, splits={'train': args.n_train, 'val': args.n_val}, seed=args.seed, classes=classes)

    for d in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader, cfg.pseudo_dataset):
        (d['dataset'] if 'dataset' in d else d)['data_root'] = str(data)
    if args.iters:
        cfg.train_cfg.max_iters = cfg.train_cfg.val_interval = args.iters
        cfg.param_scheduler[0].end = args.iters
        cfg.default_hooks.checkpoint.interval = args.iters
    cfg.work_dir = str(out / 'work_dir')
    cfg.randomness = dict(seed=args.seed)

    print('[2/5] simulating scribbles on the train split (3% of pixels)')
    pseudo_ds = DATASETS.build(cfg.pseudo_dataset)
    scribble_dir = out / 'scribbles' / 'train'
    fracs = []
    for i in range(len(pseudo_ds)):
        res = pseudo_ds.pipeline(dict(pseudo_ds.get_data_info(i)))
        weak = res['data_samples'].weak
        fracs.append(weak.labelled_fraction())
        write_png_atomic(scribble_dir / f"{res['data_samples'].img_id}.png", weak.partial_mask())
    print(f'      scribbles label {100 * np.mean(fracs):.2f}% of train pixels (written to {scribble_dir})')

    print('[3/5] training DeepLabV3+ R18 with partial CE on the scribbles')
    runner = RUNNERS.build(cfg)          # the config's runner_type: wsseg's WssegRunner
    runner.train()

    print('[4/5] pseudo-masks for the train split')
    labeller = PSEUDO_LABELLERS.build(dict(cfg.pseudo_labeller, model=runner.model))
    pseudo_dir = out / 'pseudo_masks' / 'train'
    labeller.run(pseudo_ds, pseudo_dir, palette=None)
    pseudo = score_folder(pseudo_dir, data / 'masks' / 'train', k)
    scr = score_folder(scribble_dir, data / 'masks' / 'train', k)

    print('[5/5] network on val')
    val_dir = out / 'predictions' / 'val'
    val_ds = DATASETS.build(dict(cfg.val_dataloader.dataset, pipeline=cfg.test_pipeline))
    labeller.keep_weak = False
    labeller.run(val_ds, val_dir)
    final = score_folder(val_dir, data / 'masks' / 'val', k)

    palette = runner.train_dataloader.dataset.class_meta.palette
    ids = sorted(p.stem for p in (data / 'masks' / 'val').glob('*.png'))[:4]
    save_overlay_grid(out / 'overlays_val.png',
                      [read_image(next((data / 'images' / 'val').glob(f'{i}.*'))) for i in ids],
                      [[read_mask(data / 'masks' / 'val' / f'{i}.png'), read_mask(val_dir / f'{i}.png')]
                       for i in ids],
                      titles=['ground truth', 'prediction'], palette=palette, row_names=ids)
    tids = sorted(p.stem for p in scribble_dir.glob('*.png'))[:4]
    save_overlay_grid(out / 'overlays_train.png',
                      [read_image(next((data / 'images' / 'train').glob(f'{i}.*'))) for i in tids],
                      [[read_mask(data / 'masks' / 'train' / f'{i}.png'), read_mask(scribble_dir / f'{i}.png'),
                        read_mask(pseudo_dir / f'{i}.png')] for i in tids],
                      titles=['ground truth', 'scribbles', 'pseudo-mask'], palette=palette, row_names=tids)
    summary = dict(scribble_labelled_pct=round(100 * scr['labelled_fraction'], 2),
                   scribble_pixel_acc=round(100 * float(scr['aAcc']), 2),
                   pseudo_mask_mIoU=round(100 * float(pseudo['mIoU']), 2),
                   val_mIoU=round(100 * float(final['mIoU']), 2),
                   val_IoU={c: round(100 * float(v), 1) for c, v in zip(classes, final['IoU'])},
                   seconds=round(time.time() - t0, 1))
    (out / 'summary.json').write_text(json.dumps(summary, indent=2))
    print('\n=== wsseg demo ===')
    print(f"scribbles: {summary['scribble_labelled_pct']}% of pixels labelled, "
          f"{summary['scribble_pixel_acc']}% of them correct")
    print(f"pseudo-masks (train, vs generator truth): mIoU {summary['pseudo_mask_mIoU']}%")
    print(f"network (val, vs generator truth):        mIoU {summary['val_mIoU']}%")
    print('per-class val IoU (%): ' + ', '.join(f'{c} {v}' for c, v in summary['val_IoU'].items()))
    print(f"pictures: {out / 'overlays_train.png'}, {out / 'overlays_val.png'}")
    print(f"total time: {summary['seconds']} s")
    return summary


if __name__ == '__main__':
    main()
