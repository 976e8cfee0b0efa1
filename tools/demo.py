"""The main job on embedded demo data, end to end, in a few minutes on 2 CPU cores.

    python tools/demo.py [--out demo_out] [--iters N] [--seed 0] [--cfg-options k=v ...]

1. generate synthetic multi-class scenes with full masks (wsseg/datasets/synthetic.py);
2. simulate 3% scribbles on the train split and save them as PNGs;
3. train DeepLabV3+ R18 on the scribbles (mmengine Runner; losses as in the config);
4. write pseudo-masks for the train split, score them against the generator's truth, and write
   the HTML report (worst image first);
5. score the network on val, and save overlay pictures with a class legend.

The console shows the steps and progress bars; mmengine's environment, config and hook dumps
and its training log go to the run's log file, named once.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.hooks import Hook  # noqa: E402
from mmengine.utils import ProgressBar  # noqa: E402
from tqdm import tqdm  # noqa: E402

from wsseg.datasets.synthetic import make_scenes  # noqa: E402
from wsseg.evaluation.confusion import confusion_matrix, scores_from_confusion  # noqa: E402
from wsseg.registry import DATASETS, PSEUDO_LABELLERS, RUNNERS  # noqa: E402
from wsseg.utils.autocast import native  # noqa: E402
from wsseg.utils.io import read_image, read_mask, write_png_atomic  # noqa: E402
from wsseg.utils.setup_env import register_all_modules  # noqa: E402
from wsseg.visualization.plots import save_overlay_grid  # noqa: E402
from wsseg.visualization.report import MaskReport  # noqa: E402

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


class TrainProgress(Hook):
    """A progress bar over the training iterations, with the running loss."""

    priority = 'VERY_LOW'

    def before_train(self, runner) -> None:
        self.bar = tqdm(total=runner.max_iters, initial=runner.iter, desc='      training', unit='it',
                        file=sys.stdout, ncols=90, mininterval=2.0)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self.bar.update(1)
        if outputs and 'loss' in outputs:
            self.bar.set_postfix(loss=f"{float(outputs['loss']):.3f}", refresh=False)

    def after_train(self, runner) -> None:
        self.bar.close()


def forward_precision(cfg: Config) -> str:
    """The training forward's precision on this machine (WeakSegmentor drops a non-native autocast)."""
    name = cfg.model.get('train_autocast')
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    if name is None:
        return 'float32'
    return name if native(device, getattr(torch, name)) else f'float32 (this {device} has no native {name})'


def build_quiet_runner(cfg: Config):
    """Build the config's runner with its console silent: mmengine's environment, config and
    hook dumps (and, later, its INFO log) go only to the run's log file; Python warnings too."""
    with contextlib.redirect_stdout(io.StringIO()):     # the console handler is made on this stream
        runner = RUNNERS.build(cfg)                      # the config's runner_type: WssegRunner
    for h in runner.logger.handlers:
        if type(h) is logging.StreamHandler:             # the console (not the FileHandler)
            h.setStream(sys.stdout)
            h.setLevel(logging.ERROR)
    logger = runner.logger

    def to_log(message, category, filename, lineno, file=None, line=None):
        logger.warning(warnings.formatwarning(message, category, filename, lineno, line).rstrip())
    warnings.showwarning = to_log                        # restored by main()'s catch_warnings
    return runner


def main(argv=None) -> dict:
    with warnings.catch_warnings():
        return run(argv)


def run(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', default='demo_out')
    p.add_argument('--config', default=str(REPO / 'configs/demo/scenes_scribbles.py'))
    p.add_argument('--iters', type=int, default=None, help='training iterations (default: the config\'s)')
    p.add_argument('--n-train', type=int, default=80)
    p.add_argument('--n-val', type=int, default=20)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config keys, key=value')
    args = p.parse_args(argv)
    t0 = time.time()
    register_all_modules()
    out = Path(args.out).resolve()
    data = out / 'data'

    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    classes = tuple(cfg.classes)
    k = len(classes)
    print(f'[1/5] synthetic scenes -> {data}')
    if not (data / 'masks' / 'val').is_dir():
        make_scenes(data, splits={'train': args.n_train, 'val': args.n_val}, seed=args.seed, classes=classes)

    for d in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader, cfg.pseudo_dataset):
        (d['dataset'] if 'dataset' in d else d)['data_root'] = str(data)
    if args.iters:
        iters_before = cfg.train_cfg.max_iters
        cfg.train_cfg.max_iters = args.iters
        for s in cfg.param_scheduler:
            if s.get('end') == iters_before:
                s.end = args.iters
        for loss in cfg.model.losses:                   # two-phase schedules keep their shares
            for key in ('start_iter', 'ramp_iters'):
                if loss.get(key):
                    loss[key] = max(1, round(loss[key] * args.iters / iters_before))
        cfg.default_hooks.checkpoint.interval = args.iters
    val_dataset = cfg.val_dataloader.dataset
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None     # step 5 scores val itself
    cfg.work_dir = str(out / 'work_dir')
    cfg.randomness = dict(seed=args.seed)

    print('[2/5] simulating scribbles on the train split (3% of pixels)')
    pseudo_ds = DATASETS.build(cfg.pseudo_dataset)
    scribble_dir = out / 'scribbles' / 'train'
    fracs = []
    bar = ProgressBar(len(pseudo_ds))
    for i in range(len(pseudo_ds)):
        res = pseudo_ds.pipeline(dict(pseudo_ds.get_data_info(i)))
        weak = res['data_samples'].weak
        fracs.append(weak.labelled_fraction())
        write_png_atomic(scribble_dir / f"{res['data_samples'].img_id}.png", weak.partial_mask())
        bar.update()
    print(f'\n      scribbles label {100 * np.mean(fracs):.2f}% of train pixels (written to {scribble_dir})')

    losses = ' + '.join(loss['type'] for loss in cfg.model.losses)
    print(f'[3/5] training DeepLabV3+ R18 on the scribbles: {losses}, {cfg.train_cfg.max_iters} iterations, '
          f'{forward_precision(cfg)} forward')
    runner = build_quiet_runner(cfg)
    log_file = Path(runner.log_dir) / f'{runner.timestamp}.log'
    print(f'      mmengine log (environment, config, hooks, losses): {log_file}')
    runner.register_hook(TrainProgress())
    runner.train()

    print('[4/5] pseudo-masks for the train split')
    labeller = PSEUDO_LABELLERS.build(dict(cfg.pseudo_labeller, model=runner.model))
    pseudo_dir = out / 'pseudo_masks' / 'train'
    labeller.run(pseudo_ds, pseudo_dir, palette=None)
    pseudo = score_folder(pseudo_dir, data / 'masks' / 'train', k)
    scr = score_folder(scribble_dir, data / 'masks' / 'train', k)
    palette = runner.train_dataloader.dataset.class_meta.palette
    report = MaskReport(classes, palette, gallery=12, title='wsseg demo: pseudo-masks of the train split')
    for gt_path in sorted((data / 'masks' / 'train').glob('*.png')):
        i = gt_path.stem
        report.add(i, read_mask(pseudo_dir / gt_path.name), read_mask(gt_path),
                   image=read_image(next((data / 'images' / 'train').glob(f'{i}.*'))),
                   weak=read_mask(scribble_dir / gt_path.name))
    page = report.write(out / 'report', config=cfg.pretty_text)

    print('\n[5/5] network on val')
    val_dir = out / 'predictions' / 'val'
    val_ds = DATASETS.build(dict(val_dataset, pipeline=cfg.test_pipeline))
    labeller.keep_weak = False
    labeller.run(val_ds, val_dir)
    final = score_folder(val_dir, data / 'masks' / 'val', k)

    ids = sorted(p.stem for p in (data / 'masks' / 'val').glob('*.png'))[:4]
    save_overlay_grid(out / 'overlays_val.png',
                      [read_image(next((data / 'images' / 'val').glob(f'{i}.*'))) for i in ids],
                      [[read_mask(data / 'masks' / 'val' / f'{i}.png'), read_mask(val_dir / f'{i}.png')]
                       for i in ids],
                      titles=['ground truth', 'prediction'], palette=palette, row_names=ids, classes=classes)
    tids = sorted(p.stem for p in scribble_dir.glob('*.png'))[:4]
    save_overlay_grid(out / 'overlays_train.png',
                      [read_image(next((data / 'images' / 'train').glob(f'{i}.*'))) for i in tids],
                      [[read_mask(data / 'masks' / 'train' / f'{i}.png'), read_mask(scribble_dir / f'{i}.png'),
                        read_mask(pseudo_dir / f'{i}.png')] for i in tids],
                      titles=['ground truth', 'scribbles', 'pseudo-mask'], palette=palette, row_names=tids,
                      classes=classes)
    summary = dict(scribble_labelled_pct=round(100 * scr['labelled_fraction'], 2),
                   scribble_pixel_acc=round(100 * float(scr['aAcc']), 2),
                   pseudo_mask_mIoU=round(100 * float(pseudo['mIoU']), 2),
                   val_mIoU=round(100 * float(final['mIoU']), 2),
                   val_IoU={c: round(100 * float(v), 1) for c, v in zip(classes, final['IoU'])},
                   report=str(page), log=str(log_file),
                   seconds=round(time.time() - t0, 1))
    (out / 'summary.json').write_text(json.dumps(summary, indent=2))
    print('\n=== wsseg demo ===')
    print(f"scribbles: {summary['scribble_labelled_pct']}% of pixels labelled, "
          f"{summary['scribble_pixel_acc']}% of them correct")
    print(f"pseudo-masks (train, vs generator truth): mIoU {summary['pseudo_mask_mIoU']}%")
    print(f"network (val, vs generator truth):        mIoU {summary['val_mIoU']}%")
    print('per-class val IoU (%): ' + ', '.join(f'{c} {v}' for c, v in summary['val_IoU'].items()))
    print(f"pictures: {out / 'overlays_train.png'}, {out / 'overlays_val.png'}")
    print(f'report (open in a browser): {page}')
    print(f"total time: {summary['seconds']} s")
    return summary


if __name__ == '__main__':
    main()
