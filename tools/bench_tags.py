"""The tags path step by step on a train split: CAMs -> seeds -> refinements, each scored.

    python tools/bench_tags.py configs/cam/msrc21_tags_cam.py \\
        --checkpoint work_dirs/msrc21_tags_cam/iter_400.pth --out work_dirs/tags/msrc21 \\
        [--steps cams,seeds,crf,superpixels,affinity,crossimage,report] [--doc docs/benchmarks.md]

Steps (each resumable; later steps read what earlier ones wrote under ``--out``):

- ``cams``: the trained CAM classifier on every train image: CAMs of the image's own tags,
  summed over ``--scales`` and flips (``cams/<id>.npz``, float16), and the single-scale,
  unflipped CAMs that the classifier's own prediction uses;
- ``seeds``: the threshold table (whole-mask mIoU with undecided = miss, decided-pixel mIoU,
  decided share) and the calibrated threshold; writes ``masks/stage1`` (the classifier's own
  argmax, single scale), ``masks/cam_argmax`` (multi-scale argmax, no threshold) and
  ``masks/seeds`` (multi-scale, calibrated threshold);
- ``crf``: mean-field CRF from the seeds, only among the image's tags (``masks/crf``);
- ``superpixels``: tag CAMs pooled over SLIC superpixels, then the threshold (``masks/superpixels``);
- ``affinity``: an affinity head trained on the seeds, the random walk of the CAMs, then the
  threshold (``masks/affinity``, ``affinity_head.pth``);
- ``crossimage``: one superpixel classifier over all train images, hard EM from the CAM labels
  (:mod:`wsseg.refine.cross_image`; ``masks/crossimage``, every superpixel decided);
- ``selftrain``: the trained stage-2 network (``--stage2-config``, ``--stage2-checkpoint``) on every
  train image: its own argmax (``masks/stage2``) and its argmax over the image's tags
  (``masks/selftrain``), the pseudo-masks of one round of self-training (``--selftrain-name N``:
  ``masks/stage2_N``, ``masks/selftrain_N``; the network may be a wsseg or an mmseg one); with
  ``--agree-with F`` also ``masks/agree[_N]``, the masks of ``F`` where the two agree (255 elsewhere);
- ``report``: every mask folder against the train masks (``results.json``), a per-class table,
  pictures (image | CAM | seeds | refined | GT) and the markdown section of ``--doc``.

All folders hold one PNG per train image (255 = undecided), ready for a second stage.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.utils import ProgressBar  # noqa: E402

from wsseg.models.cam_classifier import normalise_cams  # noqa: E402
from wsseg.pseudo.tag_seeds import (calibrate_threshold, confusion_with_undecided,  # noqa: E402
                                    scores_with_undecided, seed_scores, tag_argmax)
from wsseg.refine.affinity import AffinityHead, propagate_scores, train_affinity  # noqa: E402
from wsseg.refine.crf import refine_mask_within  # noqa: E402
from wsseg.refine.superpixels import refine_superpixels  # noqa: E402
from wsseg.registry import DATASETS, MODELS  # noqa: E402
from wsseg.structures import IGNORE  # noqa: E402
from wsseg.utils.checkpoint import load_state_dict_file  # noqa: E402
from wsseg.utils.io import read_mask, write_png_atomic  # noqa: E402
from wsseg.utils.setup_env import register_all_modules  # noqa: E402

STEPS = ('cams', 'seeds', 'crf', 'superpixels', 'affinity', 'crossimage', 'selftrain', 'report')
CROSS_IMAGE = dict(n_segments=300, scale=1.0, rounds=5, folds=2, cam_weight=0.5)
THRESHOLDS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7)
FOLDERS = ('stage1', 'cam_argmax', 'seeds', 'crf', 'superpixels', 'affinity', 'crossimage', 'stage2', 'selftrain',
           'agree')
TITLES = dict(stage1='stage 1: the classifier\'s own CAM argmax (its training scale, no flip)',
              cam_argmax='CAM argmax over --scales, each with its flip (no threshold)',
              seeds='seeds: that CAM argmax, calibrated threshold',
              crf='(a) seeds + mean-field CRF', superpixels='(b) CAMs pooled over superpixels + threshold',
              affinity='(c) learned affinity + random walk + threshold',
              crossimage='(d) cross-image superpixel classifier (hard EM over all train images)',
              stage2="the stage-2 network's own prediction (with flip)",
              selftrain="self-training masks: the stage-2 prediction over the image's tags",
              agree='its training masks where the self-training masks agree, undecided elsewhere')


def title(name: str) -> str:
    """The report's row title of a mask folder (``stage2_N`` / ``selftrain_N``: round from network N)."""
    if name in TITLES:
        return TITLES[name]
    kind, _, net = name.partition('_')
    return f"{TITLES[kind]} ({net} network)"


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('config', help='the CAM classifier config (its train split and test pipeline)')
    p.add_argument('--checkpoint', required=True)
    p.add_argument('--out', required=True)
    p.add_argument('--steps', default=','.join(STEPS))
    p.add_argument('--scales', default='0.4,0.6',
                   help='input scales (with flips) of the CAMs; the classifier trained at 0.6 (192x128)')
    p.add_argument('--stage1-scale', type=float, default=0.6,
                   help="one of --scales: the classifier's own single-scale, unflipped prediction")
    p.add_argument('--crf', default='{"confidence": 0.7, "n_iters": 5, "threshold": 0.5}',
                   help='JSON options of wsseg.refine.crf.refine_mask')
    p.add_argument('--superpixels', default='{"method": "slic", "params": {"n_segments": 300}}')
    p.add_argument('--affinity', default='{"radius": 5, "beta": 8, "n_iters": 64, "epochs": 1}')
    p.add_argument('--cross-image', default='{}',
                   help=f'JSON overriding {CROSS_IMAGE}: SLIC superpixels, trunk input scale and the hard-EM '
                        'options of wsseg.refine.cross_image.cross_image_labels')
    p.add_argument('--stage2-config', help='selftrain: the stage-2 network config (e.g. configs/msrc21/tags_stage2.py)')
    p.add_argument('--stage2-checkpoint', help='selftrain: its trained checkpoint')
    p.add_argument('--selftrain-name', default='',
                   help='selftrain: write masks/stage2_NAME and masks/selftrain_NAME (a round from another '
                        'stage-2 network, e.g. the mmseg DeepLabV3+ on the crossimage masks)')
    p.add_argument('--agree-with', default='',
                   help='selftrain: also write masks/agree[_NAME]: the pixels where this mask folder (the '
                        "network's training masks, e.g. crossimage) and the self-training masks agree, 255 elsewhere")
    p.add_argument('--doc', help='write the report into this markdown file (section "tags-msrc21")')
    p.add_argument('--section', default='tags-msrc21')
    p.add_argument('--figures', default='docs/figures', help='folder of the report pictures (named after --section)')
    p.add_argument('--limit', type=int, help='first N train images only (smoke runs)')
    p.add_argument('--affinity-every', type=int, default=1,
                   help='train and apply the affinity on every N-th train image only (CPU budget); '
                        'the report then also scores every method on that subset')
    return p.parse_args(argv)


class Bench:
    def __init__(self, args):
        register_all_modules()
        self.args, self.out = args, Path(args.out)
        self.cfg = Config.fromfile(args.config)
        ds_cfg = dict(self.cfg.train_dataloader.dataset)
        ds_cfg['pipeline'] = self.cfg.test_pipeline
        self.dataset = DATASETS.build(ds_cfg)
        self.n = min(len(self.dataset), args.limit or len(self.dataset))
        self.classes = tuple(self.dataset.metainfo['classes'])
        self.k = len(self.classes)
        self._model = None

    @property
    def model(self):
        if self._model is None:
            self._model = MODELS.build(self.cfg.model)
            self._model.load_state_dict(load_state_dict_file(self.args.checkpoint, 'wsseg'))
            self._model.eval()
        return self._model

    def sample(self, i: int) -> dict:
        return self.dataset[i]

    def ids(self) -> list[str]:
        return [self.dataset.get_data_info(i)['img_id'] for i in range(self.n)]

    def cams(self, img_id: str) -> dict:
        return dict(np.load(self.out / 'cams' / f'{img_id}.npz'))

    def gt(self, i: int) -> np.ndarray:
        return read_mask(self.dataset.get_data_info(i)['seg_map_path'], self.k)

    def folder(self, name: str) -> Path:
        d = self.out / 'masks' / name
        d.mkdir(parents=True, exist_ok=True)
        return d

    def multiscale(self, x: torch.Tensor, size: tuple[int, int], scales: tuple[float, ...]):
        """(multi-scale + flip CAMs, the unflipped CAMs at ``--stage1-scale`` alone), both
        normalised as :func:`wsseg.pseudo.cam.multiscale_cams` does; one forward serves both."""
        one, total = None, 0
        for s in scales:
            xs = x if s == 1 else F.interpolate(x, scale_factor=s, mode='bilinear', align_corners=False)
            c = self.model.cams(xs).clamp_min(0)
            c = F.interpolate(c, x.shape[-2:], mode='bilinear', align_corners=False)
            if s == self.args.stage1_scale:
                one = c
            flipped = self.model.cams(xs.flip(-1)).flip(-1).clamp_min(0)
            total = total + c + F.interpolate(flipped, x.shape[-2:], mode='bilinear', align_corners=False)
        crop = lambda c: normalise_cams(c[..., :size[0], :size[1]])  # noqa: E731
        return crop(total), crop(one)

    # ------------------------------------------------------------------ steps
    def step_cams(self):
        scales = tuple(float(s) for s in self.args.scales.split(','))
        if self.args.stage1_scale not in scales:
            raise SystemExit(f'--stage1-scale {self.args.stage1_scale} must be one of --scales {scales}')
        d = self.out / 'cams'
        d.mkdir(parents=True, exist_ok=True)
        bar = ProgressBar(self.n)
        for i in range(self.n):
            bar.update()
            img_id = self.dataset.get_data_info(i)['img_id']
            if (d / f'{img_id}.npz').is_file():
                continue
            r = self.sample(i)
            tags = np.asarray(r['data_samples'].weak.tags, np.int64)
            x = self.model.data_preprocessor(dict(inputs=[r['inputs']], data_samples=[r['data_samples']]))['inputs']
            size = tuple(r['data_samples'].img_shape)
            ms, one = self.multiscale(x, size, scales)
            ms, one = ms[0, tags], one[0, tags]
            tmp = d / f'{img_id}.tmp.npz'
            np.savez_compressed(tmp, cams=ms.numpy().astype(np.float16), cams1x=one.numpy().astype(np.float16),
                                tags=tags)
            tmp.rename(d / f'{img_id}.npz')

    def step_seeds(self):
        def samples(key):
            for i, img_id in enumerate(self.ids()):
                c = self.cams(img_id)
                yield c[key].astype(np.float32), c['tags'], self.gt(i)
        table = seed_scores(samples('cams'), self.k, THRESHOLDS)
        t = calibrate_threshold(table)
        stats = dict(threshold=t, table=[{k: v for k, v in r.items() if k != 'IoU'} for r in table],
                     scales=self.args.scales)
        (self.out / 'seeds.json').write_text(json.dumps(stats, indent=1))
        print(f'[bench_tags] calibrated threshold {t}')
        for r in stats['table']:
            print(f"  t={r['threshold']:.2f}  mIoU {r['mIoU']:.2f}  decided-mIoU {r['mIoU_decided']:.2f}  "
                  f"decided {r['decided']:.1f}%")
        for name, key, thr in (('stage1', 'cams1x', 0.0), ('cam_argmax', 'cams', 0.0), ('seeds', 'cams', t)):
            d = self.folder(name)
            for img_id in self.ids():
                c = self.cams(img_id)
                write_png_atomic(d / f'{img_id}.png', tag_argmax(c[key].astype(np.float32), c['tags'], thr))

    def threshold(self) -> float:
        return float(json.loads((self.out / 'seeds.json').read_text())['threshold'])

    def step_crf(self):
        opts, d = json.loads(self.args.crf), self.folder('crf')
        bar = ProgressBar(self.n)
        for i, img_id in enumerate(self.ids()):
            bar.update()
            if (d / f'{img_id}.png').is_file():
                continue
            img = self.dataset.get_data_info(i)
            image = np.ascontiguousarray(self.sample(i)['inputs'].permute(1, 2, 0).numpy())
            seeds = read_mask(self.out / 'masks' / 'seeds' / f'{img_id}.png')
            tags = self.cams(img_id)['tags']
            if (seeds == IGNORE).all():
                out = seeds
            else:
                out = refine_mask_within(image, seeds, tags, **opts)
            write_png_atomic(d / f'{img_id}.png', out)
            del img

    def step_superpixels(self):
        opts, d, t = json.loads(self.args.superpixels), self.folder('superpixels'), self.threshold()
        bar = ProgressBar(self.n)
        for i, img_id in enumerate(self.ids()):
            bar.update()
            image = np.ascontiguousarray(self.sample(i)['inputs'].permute(1, 2, 0).numpy())
            c = self.cams(img_id)
            mask, _ = refine_superpixels(image, c['cams'].astype(np.float32), c['tags'], threshold=t, **opts)
            write_png_atomic(d / f'{img_id}.png', mask)

    def _normalised(self, i: int, r: dict | None = None) -> torch.Tensor:
        """Train image ``i`` (or its already loaded sample ``r``) as the classifier's input."""
        r = self.sample(i) if r is None else r
        x = self.model.data_preprocessor(dict(inputs=[r['inputs']], data_samples=[r['data_samples']]))['inputs'][0]
        h, w = r['data_samples'].img_shape
        return x[:, :h, :w]

    def affinity_items(self) -> list[tuple[int, str]]:
        return list(enumerate(self.ids()))[::self.args.affinity_every]

    def step_affinity(self):
        opts = json.loads(self.args.affinity)
        d, t = self.folder('affinity'), self.threshold()
        torch.manual_seed(0)
        head = AffinityHead(self.model.trunk)
        ckpt = self.out / 'affinity_head.pth'
        if ckpt.is_file():
            head.load_state_dict(torch.load(ckpt, weights_only=True))
        else:
            print('[bench_tags] training the affinity head on the seeds')
            samples = [(self._normalised(i), read_mask(self.out / 'masks' / 'seeds' / f'{img_id}.png'))
                       for i, img_id in self.affinity_items()]
            t0 = time.time()
            losses = train_affinity(head, samples, radius=opts['radius'], epochs=opts['epochs'])
            torch.save(head.state_dict(), ckpt)
            (self.out / 'affinity_losses.json').write_text(json.dumps(dict(losses=losses, seconds=time.time() - t0)))
        head.eval()
        items = self.affinity_items()
        bar = ProgressBar(len(items))
        for i, img_id in items:
            bar.update()
            if (d / f'{img_id}.png').is_file():
                continue
            c = self.cams(img_id)
            walked = propagate_scores(head, self._normalised(i), c['cams'].astype(np.float32),
                                      radius=opts['radius'], beta=opts['beta'], n_iters=opts['n_iters'])
            np.savez_compressed(self.out / 'cams' / f'{img_id}.walk.npz', walked=walked.astype(np.float16))
            write_png_atomic(d / f'{img_id}.png', tag_argmax(walked, c['tags'], t))

    def step_crossimage(self):
        """Superpixels of every train image with their features (colour, texture, position and
        the CAM trunk's features), then hard EM over all of them at once (not resumable per image:
        it reruns unless every mask is there)."""
        from wsseg.refine.cross_image import cross_image_labels, dense_trunk_features, image_superpixels
        opts = {**CROSS_IMAGE, **json.loads(self.args.cross_image)}
        if set(opts) - set(CROSS_IMAGE):
            raise SystemExit(f'--cross-image: unknown keys {sorted(set(opts) - set(CROSS_IMAGE))}; '
                             f'it takes {sorted(CROSS_IMAGE)}')
        d = self.folder('crossimage')
        ids = self.ids()
        if all((d / f'{img_id}.png').is_file() for img_id in ids):
            return
        segs, feats, cams, tags, areas = [], [], [], [], []
        bar = ProgressBar(self.n)
        for i, img_id in enumerate(ids):
            bar.update()
            r = self.sample(i)
            image = np.ascontiguousarray(r['inputs'].permute(1, 2, 0).numpy())
            deep = dense_trunk_features(self.model.trunk, self._normalised(i, r)[None], image.shape[:2], opts['scale'])
            c = self.cams(img_id)
            sp = image_superpixels(image, c['cams'].astype(np.float32), deep, opts['n_segments'])
            segs.append(sp['segments'])
            feats.append(sp['features'])
            cams.append(sp['cams'])
            tags.append(c['tags'])
            areas.append(sp['areas'])
        print(f'[bench_tags] hard EM over {sum(len(f) for f in feats)} superpixels', flush=True)
        labels = cross_image_labels(feats, cams, tags, areas, self.k, rounds=opts['rounds'], folds=opts['folds'],
                                    cam_weight=opts['cam_weight'])
        for img_id, seg, lab in zip(ids, segs, labels):
            write_png_atomic(d / f'{img_id}.png', lab[seg].astype(np.uint8))

    def step_selftrain(self):
        """The stage-2 network on every train image (with its flip): ``masks/stage2`` its own
        argmax, ``masks/selftrain`` its argmax over the image's tags (the next round's masks).
        With ``--selftrain-name N`` the folders are ``stage2_N`` and ``selftrain_N``; with
        ``--agree-with F``, ``agree[_N]`` keeps the pixels where ``masks/F`` and ``selftrain`` agree. The network
        is a wsseg one or an mmseg one (``default_scope = 'mmseg'``: DeepLabV3+, Mask2Former)."""
        from wsseg.pseudo.self_training import agreement, segment_logits, tag_restricted_labels
        if not (self.args.stage2_config and self.args.stage2_checkpoint):
            raise SystemExit('step selftrain needs --stage2-config and --stage2-checkpoint')
        cfg = Config.fromfile(self.args.stage2_config)
        suffix = f'_{self.args.selftrain_name}' if self.args.selftrain_name else ''
        own, d = self.folder('stage2' + suffix), self.folder('selftrain' + suffix)
        src = self.out / 'masks' / self.args.agree_with if self.args.agree_with else None
        agree = self.folder('agree' + suffix) if src else d
        if src and not src.is_dir():
            raise SystemExit(f'--agree-with {self.args.agree_with}: no folder {src}; run its step first')
        if cfg.get('default_scope') == 'mmseg':
            from wsseg.stage2.predict import load_mmseg_segmentor, mmseg_logits
            net = load_mmseg_segmentor(cfg, self.args.stage2_checkpoint, device='cpu')

            def predict(i):
                return mmseg_logits(net, self.dataset.get_data_info(i)['img_path'])
        else:
            net = MODELS.build(cfg.model)
            net.load_state_dict(load_state_dict_file(self.args.stage2_checkpoint, 'wsseg'))
            net.eval()

            def predict(i):
                r = self.sample(i)
                x = net.data_preprocessor(dict(inputs=[r['inputs']], data_samples=[r['data_samples']]))['inputs']
                return segment_logits(net.net, x, tuple(r['data_samples'].img_shape))[0]
        bar = ProgressBar(self.n)
        for i, img_id in enumerate(self.ids()):
            bar.update()
            if all((f / f'{img_id}.png').is_file() for f in (own, d, agree)):
                continue
            logits = predict(i)
            labels = tag_restricted_labels(logits, self.cams(img_id)['tags'])
            write_png_atomic(own / f'{img_id}.png', logits.argmax(0).to(torch.uint8).numpy())
            write_png_atomic(d / f'{img_id}.png', labels)
            if src:
                write_png_atomic(agree / f'{img_id}.png', agreement(read_mask(src / f'{img_id}.png', self.k), labels))

    # ------------------------------------------------------------------ report
    def score(self, name: str, items: list[tuple[int, str]] | None = None) -> dict | None:
        d = self.out / 'masks' / name
        items = list(enumerate(self.ids())) if items is None else items
        if not d.is_dir() or not all((d / f'{img_id}.png').is_file() for _, img_id in items):
            return None
        cm = np.zeros((self.k, self.k + 1), np.int64)
        for i, img_id in items:
            cm += confusion_with_undecided(read_mask(d / f'{img_id}.png', self.k), self.gt(i), self.k)
        s = scores_with_undecided(cm)
        s['IoU'] = {c: (None if np.isnan(v) else float(v)) for c, v in zip(self.classes, s['IoU'])}
        return {k: (float(v) if isinstance(v, (np.floating, float)) else v) for k, v in s.items()}

    def pictures(self, path: Path, n: int = 4,
                 folders: Sequence[str] = ('seeds', 'crf', 'superpixels', 'affinity', 'crossimage')):
        """image | top tag CAM | each of ``folders`` present | ground truth, on ``n`` train images."""
        from wsseg.visualization.plots import colorize
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
        names = [f for f in folders if (self.out / 'masks' / f).is_dir()]
        cols = ['image', 'CAM (top tag)', *names, 'ground truth']
        pal = self.dataset.metainfo['palette']
        items = self.affinity_items()       # images that every step labelled
        pick = np.linspace(0, len(items) - 1, n).round().astype(int)
        fig, axes = plt.subplots(n, len(cols), figsize=(2.2 * len(cols), 1.6 * n), squeeze=False)
        for row, j in enumerate(pick):
            i, img_id = items[j]
            image = self.sample(i)['inputs'].permute(1, 2, 0).numpy()
            c = self.cams(img_id)
            tiles = [image, c['cams'].astype(np.float32).max(0)]
            tiles += [colorize(read_mask(self.out / 'masks' / f / f'{img_id}.png'), pal) for f in names]
            tiles.append(colorize(self.gt(i), pal))
            for col, tile in enumerate(tiles):
                ax = axes[row, col]
                ax.imshow(tile, cmap='jet' if tile.ndim == 2 else None, vmin=0, vmax=1)
                ax.set_xticks([]), ax.set_yticks([])
                if row == 0:
                    ax.set_title(cols[col], fontsize=8)
        fig.suptitle('white = undecided (255) in the masks, void in the ground truth', fontsize=8)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=90)
        plt.close(fig)

    def mask_folders(self) -> list[str]:
        """FOLDERS, then the named self-training rounds found (``stage2_N``, ``selftrain_N``, ``agree_N``)."""
        d = self.out / 'masks'
        kinds = ('stage2', 'selftrain', 'agree')
        extra = [p.name for p in d.iterdir() if p.is_dir() and p.name.partition('_')[0] in kinds
                 and p.name.partition('_')[2]] if d.is_dir() else []
        extra.sort(key=lambda n: (n.partition('_')[2], kinds.index(n.partition('_')[0])))
        return list(FOLDERS) + extra

    def step_report(self):
        results = {name: s for name in self.mask_folders() if (s := self.score(name)) is not None}
        subset = {}
        if self.args.affinity_every > 1:
            items = self.affinity_items()
            subset = {name: s for name in self.mask_folders() if (s := self.score(name, items)) is not None}
        seeds = json.loads((self.out / 'seeds.json').read_text()) if (self.out / 'seeds.json').is_file() else {}
        (self.out / 'results.json').write_text(json.dumps(dict(masks=results, affinity_subset=subset, seeds=seeds), indent=1))
        stem = Path(self.args.figures) / self.args.section.replace('-', '_')
        fig, curve = Path(f'{stem}_pseudo_masks.png'), Path(f'{stem}_threshold.png')
        self.pictures(fig)
        rounds = [f for f in self.mask_folders() if f.partition('_')[0] in ('stage2', 'selftrain', 'agree')]
        if rounds:      # the self-training rounds beside the masks they started from
            self.pictures(Path(f'{stem}_self_training.png'), folders=('seeds', 'crossimage', *rounds))
        if seeds.get('table'):
            from wsseg.visualization.plots import plot_curves
            xs = [r['threshold'] for r in seeds['table']]
            plot_curves(str(curve),
                        {k: (xs, [r[key] for r in seeds['table']]) for k, key in (
                            ('whole-mask mIoU (undecided = miss)', 'mIoU'),
                            ('decided-pixel mIoU', 'mIoU_decided'), ('decided share (%)', 'decided'))},
                        xlabel='CAM confidence threshold', ylabel='%',
                        title=f"MSRC-21 train seeds: calibrated threshold {seeds['threshold']}")
        md = self.markdown(results, seeds, (fig, curve), subset)
        print(md)
        if self.args.doc:
            from tools.benchmark import write_section
            write_section(Path(self.args.doc), self.args.section, md)

    def markdown(self, results: dict, seeds: dict, figures: tuple[Path, Path], subset: dict | None = None) -> str:
        lines = [f'Pseudo-masks of the {self.n} MSRC-21 train images against their true masks '
                 f'(`python tools/bench_tags.py {self.args.config} --checkpoint {self.args.checkpoint} '
                 f'--out {self.args.out} --scales {self.args.scales}'
                 + (f' --affinity-every {self.args.affinity_every}' if self.args.affinity_every > 1 else '') + '`'
                 + (' with `--steps selftrain --stage2-config ... --stage2-checkpoint ...` for the stage-2 rows'
                    if 'stage2' in results else '') + '). mIoU / mAcc / aAcc count an undecided (255) pixel as a miss; '
                 'decided-pixel mIoU and the decided share show the two sides of that. '
                 f"Seeds: threshold {seeds.get('threshold')} calibrated on this table's whole-mask mIoU "
                 f"(scales {seeds.get('scales')}, with flips).", '',
                 '| pseudo-mask | mIoU | mAcc | aAcc | decided-pixel mIoU | decided |', '|---|---|---|---|---|---|']
        for name, s in results.items():
            lines.append(f"| {title(name)} | {s['mIoU']:.2f} | {s['mAcc']:.2f} | {s['aAcc']:.2f} | "
                         f"{s['mIoU_decided']:.2f} | {s['decided']:.1f}% |")
        if subset:
            lines += ['', f'On the {len(self.affinity_items())} train images the affinity step ran on '
                      f'(one in {self.args.affinity_every}, for CPU time):', '',
                      '| pseudo-mask | mIoU | mAcc | aAcc | decided-pixel mIoU | decided |', '|---|---|---|---|---|---|']
            for name, s in subset.items():
                lines.append(f"| {title(name)} | {s['mIoU']:.2f} | {s['mAcc']:.2f} | {s['aAcc']:.2f} | "
                             f"{s['mIoU_decided']:.2f} | {s['decided']:.1f}% |")
        if seeds.get('table'):
            lines += ['', 'Threshold calibration (multi-scale CAMs, train):', '',
                      '| threshold | ' + ' | '.join(f"{r['threshold']:.2f}" for r in seeds['table']) + ' |',
                      '|---|' + '---|' * len(seeds['table']),
                      '| mIoU | ' + ' | '.join(f"{r['mIoU']:.1f}" for r in seeds['table']) + ' |',
                      '| decided-pixel mIoU | ' + ' | '.join(f"{r['mIoU_decided']:.1f}" for r in seeds['table']) + ' |',
                      '| decided | ' + ' | '.join(f"{r['decided']:.0f}%" for r in seeds['table']) + ' |']
        if results:
            names = list(results)
            lines += ['', 'Per-class IoU (%) of the pseudo-masks on train:', '',
                      '| class | ' + ' | '.join(names) + ' |', '|---|' + '---|' * len(names)]
            for c in self.classes:
                vals = [results[n]['IoU'][c] for n in names]
                lines.append(f'| {c} | ' + ' | '.join('n/a' if v is None else f'{v:.1f}' for v in vals) + ' |')
        fig, curve = (os.path.relpath(p, 'docs') for p in figures)   # links from the doc, in docs/
        lines += ['', f'![image, CAM, seeds, refinements, ground truth]({fig})',
                  '', f'![threshold calibration]({curve})']
        rounds = Path(str(figures[0]).replace('_pseudo_masks.png', '_self_training.png'))
        if rounds.is_file():
            lines += ['', f"![self-training rounds: each stage-2 network's own prediction, over the tags, and the "
                          f"agreement with its training masks]({os.path.relpath(rounds, 'docs')})"]
        return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    steps = [s for s in args.steps.split(',') if s]
    bad = set(steps) - set(STEPS)
    if bad:
        raise SystemExit(f'unknown steps {sorted(bad)}; choose from {STEPS}')
    torch.set_grad_enabled(True)
    b = Bench(args)
    for s in STEPS:
        if s in steps:
            print(f'[bench_tags] step {s}', flush=True)
            t0 = time.time()
            with torch.no_grad() if s != 'affinity' else torch.enable_grad():
                getattr(b, f'step_{s}')()
            print(f'[bench_tags] step {s} took {time.time() - t0:.0f} s', flush=True)


if __name__ == '__main__':
    main()
