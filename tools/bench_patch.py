"""Benchmark of the seagrass patch path on synthetic seagrass frames (one small budget for all).

    python tools/bench_patch.py [--n-train 40] [--n-test 16] [--epochs 6] [--simclr-epochs 8]
                                [--out work_dirs/bench_patch] [--data-only] [--no-doc]

Rows: SeaFeats with SimCLR init and with random init, SeaCLIP (a random-weight tiny CLIP:
chance-level pseudo-labels, reported as such), their ensemble, and the patch-supervised upper
bound, each trained through its ``configs/seagrass`` config by an mmengine Runner with the
same epochs, batch size, optimiser and seed. Every row is scored per patch (PatchMetric) and
per pixel (the patch map painted onto pixels, then refined by the patch-seeded CRF and by
superpixel voting) against the generator's truth. Also: SimCLR pretraining time and the
patch-inference throughput ratio. Writes the ``seagrass_patch`` section of docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from tools.benchmark import write_section  # noqa: E402
from wsseg.datasets.synthetic import make_seagrass_frames  # noqa: E402
from wsseg.evaluation.confusion import confusion_matrix, scores_from_confusion  # noqa: E402
from wsseg.evaluation.patch_metric import PatchMetric  # noqa: E402
from wsseg.patch.ensemble import ensemble_probs  # noqa: E402
from wsseg.patch.refine import coarse_pixels, refine_crf, refine_superpixels  # noqa: E402
from wsseg.patch.runs import predict_frames, retarget  # noqa: E402
from wsseg.patch.simclr import load_views, pretrain_simclr, save_simclr_checkpoint  # noqa: E402
from wsseg.utils.io import read_image, read_mask  # noqa: E402
from wsseg.utils.setup_env import register_all_modules  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CFG = REPO / 'configs' / 'seagrass'
TINY_CLIP = dict(type='ClipPrompts', model_name='wsseg-tiny-clip', checkpoint=None,
                 allow_random_weights=True, grid=(5, 8))


def make_data(root: Path, n_train: int, n_test: int, patch: tuple[int, int]) -> None:
    for split, n, seed in (('train', n_train, 0), ('test', n_test, 1)):
        if not (root / split / 'labels.json').exists():
            make_seagrass_frames(root / split, n, patch=patch, seed=seed)


def train_row(config: str, data: Path, work: Path, epochs: int, batch: int, **model) -> tuple[object, float]:
    cfg = retarget(CFG / config, data, work, max_epochs=epochs, batch_size=batch, **model)
    cfg.default_hooks.checkpoint = None            # the bench keeps its models in memory
    cfg.train_cfg.val_interval = epochs + 1
    if config == 'seaclip.py':
        cfg.train_dataloader.dataset.pipeline[1]['sources'] = [dict(TINY_CLIP)]
    t0 = time.time()
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner, time.time() - t0


def patch_scores(probs: torch.Tensor, truth: list, classes) -> dict:
    metric = PatchMetric(classes=classes)
    metric.process(None, [dict(pred_label=p.argmax(0), gt_label=t) for p, t in zip(probs, truth)])
    out = metric.compute_metrics(metric.results)
    out['patch_mIoU'] = 100 * float(scores_from_confusion(metric.last_confusion)['mIoU'])
    return out


def pixel_scores(probs: torch.Tensor, pred: dict, data: Path, k: int) -> dict:
    cms = {m: np.zeros((k, k), np.int64) for m in ('coarse', 'crf', 'superpixels')}
    for fid, path, p in zip(pred['ids'], pred['paths'], probs.numpy()):
        img, truth = read_image(path), read_mask(data / 'test' / 'pixel_masks' / f'{fid}.png')
        cms['coarse'] += confusion_matrix(coarse_pixels(p, truth.shape), truth, k)
        cms['crf'] += confusion_matrix(refine_crf(img, p), truth, k)
        cms['superpixels'] += confusion_matrix(refine_superpixels(img, p), truth, k)
    return {m: 100 * float(scores_from_confusion(c)['mIoU']) for m, c in cms.items()}


@torch.no_grad()
def throughput(model, paths: list[str], grid=(5, 8), repeats: int = 2) -> dict:
    """Seconds per frame: one pass with grid pooling vs the frame cut into patches (batched)."""
    from wsseg.patch.grid import split_patches
    model.eval()
    pre = model.data_preprocessor
    frames = [torch.from_numpy(read_image(p).copy()).permute(2, 0, 1) for p in paths]
    norm = [((f[None].float() - pre.mean) / pre.std) for f in frames]
    t0 = time.perf_counter()
    for _ in range(repeats):
        for x in norm:
            model.classify(model.features(x, grid))
    t_frame = (time.perf_counter() - t0) / (repeats * len(norm))
    t0 = time.perf_counter()
    for _ in range(repeats):
        for x in norm:
            parts = split_patches(x[0].permute(1, 2, 0).numpy(), grid)
            hw = min(p.shape[0] for p in parts), min(p.shape[1] for p in parts)
            batch = torch.stack([torch.from_numpy(p[:hw[0], :hw[1]].copy()).permute(2, 0, 1) for p in parts])
            model.classify(model.features(batch, (1, 1)))
    t_patch = (time.perf_counter() - t0) / (repeats * len(norm))
    return dict(frame_s=t_frame, patches_s=t_patch, ratio=t_patch / t_frame)


@torch.no_grad()
def pseudo_label_quality(runner, data: Path, classes, source: str) -> dict:
    """Accuracy / macro F1 of the training pseudo-labels (final epoch) against the patch truth."""
    from mmengine.dataset import pseudo_collate

    from wsseg.patch.seafeats import seafeats_pseudo_labels
    from wsseg.registry import DATASETS
    model = runner.model.eval()
    ids, preds = [], []
    if source == 'seafeats':
        cfg = runner.cfg.train_dataloader.dataset.copy()
        cfg['pipeline'] = [t for t in cfg['pipeline'] if t['type'] != 'PatchRandomFlip']
        ds = DATASETS.build(cfg)
        for i in range(len(ds)):
            d = model.data_preprocessor(pseudo_collate([ds[i]]), False)
            f = model.features(d['inputs'])
            preds.append(seafeats_pseudo_labels(f, model.image_labels(d['data_samples']), model.templates,
                                                model.template_valid, model.background_index,
                                                model.threshold)[0].cpu())
            ids.append(d['data_samples'][0].img_id)
    else:   # the labels ClipPrompts gave during training (its in-memory cache, unflipped)
        clip = runner.train_dataloader.dataset.pipeline.transforms[1].sources[0]
        ids = sorted(clip._cache)
        preds = [torch.from_numpy(clip._cache[i]) for i in ids]
    truth = [torch.from_numpy(np.load(data / 'train' / 'patch_labels' / f'{i}.npy')) for i in ids]
    onehot = torch.stack([torch.nn.functional.one_hot(p.long(), len(classes)).permute(2, 0, 1).float()
                          for p in preds])
    s = patch_scores(onehot, truth, classes)
    return dict(accuracy=s['accuracy'], macro_F1=s['macro_F1'], n_frames=len(ids),
                labels={i: p.numpy() for i, p in zip(ids, preds)})


def reference_pseudo_labels(data: Path, classes, clip_labels: dict | None) -> dict:
    """Pseudo-label baselines on the train frames: the image label on every patch, and a coin
    flip per patch of a foreground frame with the CLIP labels' foreground rate (seed 0)."""
    meta = json.loads((data / 'train' / 'labels.json').read_text())
    bg = len(classes) - 1
    ids = sorted(meta['frames'])
    truth = [torch.tensor(meta['frames'][i]['patch_labels']) for i in ids]
    image = [torch.full_like(t, meta['frames'][i]['label_index']) for i, t in zip(ids, truth)]
    out = {}

    def score(preds):
        onehot = torch.stack([torch.nn.functional.one_hot(p_, len(classes)).permute(2, 0, 1).float() for p_ in preds])
        s_ = patch_scores(onehot, truth, classes)
        return dict(accuracy=s_['accuracy'], macro_F1=s_['macro_F1'], n_frames=len(ids))
    out['image label on every patch'] = score(image)
    if clip_labels:
        fg = [(v != bg).mean() for i, v in clip_labels.items() if meta['frames'][i]['label_index'] != bg]
        rate = float(np.mean(fg)) if fg else 0.5
        rng = np.random.default_rng(0)
        coin = [torch.where(torch.from_numpy(rng.random(tuple(t.shape)) < rate), t_img, torch.full_like(t, bg))
                for t, t_img in zip(truth, image)]
        out[f'coin flip per patch (foreground rate {rate:.2f}, as the random CLIP)'] = score(coin)
    return out


def oracle_refinement(data: Path, pred: dict, k: int) -> dict:
    """Pixel mIoU of the true patch map (0.9 on the true class) painted, CRF- and superpixel-refined."""
    truth = torch.stack([torch.from_numpy(np.load(data / 'test' / 'patch_labels' / f'{i}.npy')) for i in pred['ids']])
    probs = torch.nn.functional.one_hot(truth, k).permute(0, 3, 1, 2).float() * (0.9 - 0.1 / (k - 1)) + 0.1 / (k - 1)
    return pixel_scores(probs, pred, data, k)


def figure(path: Path, data: Path, pred: dict, probs: dict, pseudo: dict, palette) -> None:
    """One test frame: frame | true patches | SeaFeats / SeaCLIP / ensemble predictions |
    CRF pixels of the ensemble | pixel truth; plus SeaFeats and SeaCLIP pseudo-labels on a train frame."""
    from PIL import Image, ImageDraw

    from wsseg.patch.grid import colour_patch_map
    i = next((j for j, fid in enumerate(pred['ids']) if 'Background' not in pred['paths'][j]), 0)
    fid, img = pred['ids'][i], read_image(pred['paths'][i])
    pal = np.asarray(palette, np.uint8)
    truth = np.load(data / 'test' / 'patch_labels' / f'{fid}.npy')
    tiles = [('frame', img), ('true patches', colour_patch_map(truth, pal, img))]
    for name in ('seafeats_simclr', 'seaclip_random_clip', 'ensemble'):
        if name in probs:
            tiles.append((name, colour_patch_map(probs[name][i].argmax(0).numpy(), pal, img)))
    if 'ensemble' in probs:
        tiles.append(('ensemble + CRF', pal[refine_crf(img, probs['ensemble'][i].numpy())]))
    tiles.append(('pixel truth', pal[read_mask(data / 'test' / 'pixel_masks' / f'{fid}.png')]))
    rows = [tiles]
    if pseudo:
        tid, timg = pseudo['id'], read_image(pseudo['path'])
        row = [(f'train {tid}', timg),
               ('true patches', colour_patch_map(np.load(data / 'train' / 'patch_labels' / f'{tid}.npy'), pal, timg))]
        row += [(f'{k} pseudo-labels', colour_patch_map(v, pal, timg)) for k, v in pseudo['labels'].items()]
        rows.append(row)
    h, w = img.shape[:2]
    cols = max(len(r) for r in rows)
    canvas = Image.new('RGB', (cols * (w + 4), len(rows) * (h + 16)), 'white')
    draw = ImageDraw.Draw(canvas)
    for r, row in enumerate(rows):
        for c, (name, tile) in enumerate(row):
            x, y = c * (w + 4), r * (h + 16)
            canvas.paste(Image.fromarray(np.ascontiguousarray(tile)), (x, y + 14))
            draw.text((x + 2, y + 1), name, fill='black')
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path, optimize=True)


def render(res: dict, args) -> str:
    cls = res['classes']
    lines = [f"Synthetic seagrass frames ({args.n_train} train / {args.n_test} test, {res['frame_size'][1]}x"
             f"{res['frame_size'][0]} px, grid 5x8, classes {', '.join(cls)}). Every row: ResNet-18 patch "
             f"classifier, {args.epochs} epochs, batch {args.batch}, Adam 3e-4, seed 0, 1 CPU thread; "
             'scores on the test frames in %. Patch mIoU: IoU over patches; pixel mIoU: the patch map painted '
             'onto pixels (coarse), refined by the patch-seeded CRF, or by SLIC superpixel voting.', '',
             '| row | trained on | accuracy | macro F1 | weighted F1 | ' + ' | '.join(f'F1 {c}' for c in cls)
             + ' | patch mIoU | pixel mIoU coarse | + CRF | + superpixels | train time |',
             '|---|---|' + '---|' * (8 + len(cls))]
    for name, r in res['rows'].items():
        p, px = r['patch'], r['pixel']
        lines.append(f"| {name} | {r['labels']} | {p['accuracy']:.1f} | {p['macro_F1']:.1f} | {p['weighted_F1']:.1f} | "
                     + ' | '.join(f"{p[f'F1.{c}']:.1f}" for c in cls)
                     + f" | {p['patch_mIoU']:.1f} | {px['coarse']:.1f} | {px['crf']:.1f} | {px['superpixels']:.1f} | "
                     + (f"{r['train_s']:.0f} s |" if r.get('train_s') else '- |'))
    lines += ['', 'Training pseudo-labels against the true train patch labels (final epoch):', '',
              '| pseudo-labels | accuracy | macro F1 |', '|---|---|---|']
    for k, q in res['pseudo_quality'].items():
        lines.append(f"| {k} | {q['accuracy']:.1f} | {q['macro_F1']:.1f} |")
    o = res['oracle_pixels']
    lines += ['', f"Pixel refinement with the true patch map as input (0.9 on the true class): pixel mIoU "
              f"{o['coarse']:.1f} painted, {o['crf']:.1f} after the CRF, {o['superpixels']:.1f} after superpixel voting."]
    s, t = res['simclr'], res['throughput']
    lines += ['', f"SimCLR pretraining: {s['seconds']:.0f} s for {s['epochs']} epochs on {s['n_images']} unlabelled "
              f"train frames (views {args.simclr_size} px, batch {args.simclr_batch}), NT-Xent {s['losses'][0]:.3f} -> "
              f"{s['losses'][-1]:.3f} (chance level ln(2B-1) = {np.log(2 * min(args.simclr_batch, s['n_images']) - 1):.3f}).",
              f"Patch inference: one pass over the frame with grid pooling {1000 * t['frame_s']:.1f} ms/frame; the frame "
              f"cut into 40 patches classified as one batch {1000 * t['patches_s']:.1f} ms/frame: ratio "
              f"{t['ratio']:.2f}x (at this frame size, 1 thread).", '']
    lines += res['verdict']
    lines += ['', '![frames, patch maps and pseudo-labels](figures/seagrass_patch_maps.png)', '',
              f"Command: `{res['command']}` ({res['total_s'] / 60:.1f} min in all, on a shared 2-core machine)."]
    return '\n'.join(lines)


def verdict(res: dict) -> list[str]:
    rows = res['rows']
    out = []
    if {'ensemble', 'seafeats_simclr', 'seaclip_random_clip'} <= set(rows):
        e, a, b = (rows[k]['patch']['macro_F1'] for k in ('ensemble', 'seafeats_simclr', 'seaclip_random_clip'))
        out.append(f"- Ensemble beats each member (macro F1 {e:.1f} vs {a:.1f} / {b:.1f}): "
                   f"{'yes' if e > max(a, b) else 'no'} here. Its SeaCLIP member learned from random-CLIP labels.")
    if {'patch_supervised', 'seafeats_simclr', 'seafeats_random'} <= set(rows):
        u = rows['patch_supervised']['patch']['macro_F1']
        best = max(rows[k]['patch']['macro_F1'] for k in ('seafeats_simclr', 'seafeats_random'))
        out.append(f"- Image labels (best SeaFeats, macro F1 {best:.1f}) against patch labels ({u:.1f}): "
                   f"ratio {best / max(u, 1e-9):.2f}.")
        s, r = rows['seafeats_simclr']['patch']['macro_F1'], rows['seafeats_random']['patch']['macro_F1']
        out.append(f"- SimCLR init against random init: macro F1 {s:.1f} vs {r:.1f}.")
    if 'seaclip_random_clip' in rows:
        q = res['pseudo_quality'].get('seaclip_random_clip', {})
        coin = next((v for k_, v in res['pseudo_quality'].items() if k_.startswith('coin flip')), None)
        cmp_ = (f" (its pseudo-labels: accuracy {q['accuracy']:.1f}, against {coin['accuracy']:.1f} for a coin flip "
                'with the same foreground rate)') if q and coin else ''
        out.append('- SeaCLIP here uses a random-weight tiny CLIP (no CLIP weights are reachable): its foreground/'
                   f'background choice per patch is uninformed, no better than chance{cmp_}; the row measures the '
                   'pipeline, not SeaCLIP.')
    if {'image_naive', 'seafeats_simclr', 'seafeats_random'} <= set(rows):
        n = rows['image_naive']['patch']['macro_F1']
        out.append(f"- SeaFeats templates against training on the image label for every patch: macro F1 "
                   f"{rows['seafeats_random']['patch']['macro_F1']:.1f} (random init) vs {n:.1f}.")
    gains = [r['pixel']['crf'] - r['pixel']['coarse'] for r in rows.values()]
    o = res['oracle_pixels']
    out.append(f"- Pixel refinement: the CRF changes pixel mIoU by {min(gains):+.1f} to {max(gains):+.1f} points over "
               f"the painted patch map of the trained rows, and by {o['crf'] - o['coarse']:+.1f} on the true patch map: "
               'it sharpens borders of a right patch map but cannot fix wrong patches.')
    return out


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', default='work_dirs/bench_patch')
    p.add_argument('--n-train', type=int, default=40)
    p.add_argument('--n-test', type=int, default=16)
    p.add_argument('--patch', type=int, nargs=2, default=(26, 29), help='patch H W (frame = 5x8 patches)')
    p.add_argument('--epochs', type=int, default=6)
    p.add_argument('--batch', type=int, default=8)
    p.add_argument('--simclr-epochs', type=int, default=8)
    p.add_argument('--simclr-size', type=int, default=64)
    p.add_argument('--simclr-batch', type=int, default=20)
    p.add_argument('--rows', default='seafeats_simclr,seafeats_random,seaclip_random_clip,ensemble,patch_supervised,'
                                       'image_naive')
    p.add_argument('--data-only', action='store_true', help='only write the synthetic frames')
    p.add_argument('--no-doc', action='store_true')
    p.add_argument('--report-only', action='store_true', help='rebuild the doc section from <out>/results.json')
    args = p.parse_args(argv)
    if args.report_only:
        res = json.loads(((REPO / args.out) / 'results.json').read_text())
        res['verdict'] = verdict(res)
        body = render(res, args)
        print(body)
        if not args.no_doc:
            write_section(REPO / 'docs' / 'benchmarks.md', 'seagrass_patch', body)
        return res
    torch.set_num_threads(1)
    t_all = time.time()
    register_all_modules()
    out = (REPO / args.out).resolve()
    data = out / 'data' if not args.data_only else REPO / 'work_dirs' / 'seagrass_synth'
    make_data(data, args.n_train, args.n_test, tuple(args.patch))
    if args.data_only:
        print(f'synthetic seagrass frames in {data}')
        return {}
    wanted = args.rows.split(',')
    res: dict = dict(rows={}, pseudo_quality={}, command='python tools/bench_patch.py ' + ' '.join(argv or sys.argv[1:]))
    meta = json.loads((data / 'test' / 'labels.json').read_text())
    res['classes'], res['frame_size'] = meta['classes'], meta['frame_size']
    k = len(res['classes'])
    # SimCLR on the unlabelled train frames
    views = load_views(sorted((data / 'train' / 'frames').rglob('*.jpg')))
    net, res['simclr'] = pretrain_simclr(views, epochs=args.simclr_epochs, batch_size=args.simclr_batch,
                                         size=args.simclr_size, seed=0)
    ckpt = save_simclr_checkpoint(net, out / 'simclr.pth', res['simclr'])
    runs = {
        'seafeats_simclr': ('seafeats_simclr_init.py', 'image labels + SimCLR', dict(init_checkpoint=str(ckpt))),
        'seafeats_random': ('seafeats_random_init.py', 'image labels', {}),
        'seaclip_random_clip': ('seaclip.py', 'image labels + random CLIP', {}),
        'patch_supervised': ('patch_supervised.py', 'true patch labels', {}),
        'image_naive': ('_base_.py', 'image label on every patch', dict(label_source='image')),
    }
    test_cfg = retarget(CFG / '_base_.py', data, out).test_dataloader.dataset
    models, probs, logits, pred, pseudo = {}, {}, {}, None, {'labels': {}}
    for name in [r for r in wanted if r in runs]:
        config, labels, model_kw = runs[name]
        print(f'[bench_patch] training {name} ({config})', flush=True)
        runner, secs = train_row(config, data, out / name, args.epochs, args.batch, **model_kw)
        models[name] = runner.model
        pred = predict_frames(runner.model, test_cfg)
        probs[name] = pred['probs']
        logits[name] = pred['logits']
        res['rows'][name] = dict(labels=labels, train_s=secs, patch=patch_scores(pred['probs'], pred['truth'], res['classes']),
                                 pixel=pixel_scores(pred['probs'], pred, data, k))
        if name in ('seafeats_simclr', 'seaclip_random_clip'):
            src = 'seafeats' if name.startswith('seafeats') else 'clip'
            q = pseudo_label_quality(runner, data, res['classes'], src)
            pseudo['labels'][name] = q.pop('labels')
            res['pseudo_quality'][name] = q
        print(f"[bench_patch] {name}: {json.dumps({k_: round(v, 1) for k_, v in res['rows'][name]['patch'].items() if '.' not in k_})}", flush=True)
    if 'ensemble' in wanted and {'seafeats_simclr', 'seaclip_random_clip'} <= set(probs):
        # same as PatchEnsemble: standardise each member's logits per frame, average, softmax
        probs['ensemble'] = ensemble_probs([logits[n] for n in ('seafeats_simclr', 'seaclip_random_clip')])
        res['rows']['ensemble'] = dict(labels='SeaFeats(SimCLR) + SeaCLIP', train_s=None,
                                       patch=patch_scores(probs['ensemble'], pred['truth'], res['classes']),
                                       pixel=pixel_scores(probs['ensemble'], pred, data, k))
    res['pseudo_quality'].update(reference_pseudo_labels(data, res['classes'], pseudo['labels'].get('seaclip_random_clip')))
    res['oracle_pixels'] = oracle_refinement(data, pred, k)
    first = next(iter(models.values()))
    res['throughput'] = throughput(first, pred['paths'][:8])
    res['verdict'] = verdict(res)
    res['total_s'] = time.time() - t_all
    (out / 'results.json').write_text(json.dumps(res, indent=1, default=float))
    train_meta = json.loads((data / 'train' / 'labels.json').read_text())
    shared = [i for i in train_meta['frames'] if train_meta['frames'][i]['label'] != 'Background'
              and all(i in v for v in pseudo['labels'].values())]
    if shared and pseudo['labels']:
        pseudo['id'] = shared[0]
        pseudo['path'] = str(data / 'train' / 'frames' / train_meta['frames'][shared[0]]['label'] / f'{shared[0]}.jpg')
        pseudo['labels'] = {k_: v[shared[0]] for k_, v in pseudo['labels'].items()}
    else:
        pseudo = {}
    figure(REPO / 'docs' / 'figures' / 'seagrass_patch_maps.png', data, pred, probs, pseudo, meta['palette'])
    body = render(res, args)
    print(body)
    if not args.no_doc:
        write_section(REPO / 'docs' / 'benchmarks.md', 'seagrass_patch', body)
    return res


if __name__ == '__main__':
    main()
