"""The patch path's benchmark on synthetic seagrass frames (or, with ``--set benthic``, on frames
composed from real seafloor patches): rows, then the measurements beside them.

    OMP_NUM_THREADS=1 python tools/bench_patch.py [--set seagrass|benthic] [--extras-only] [--no-doc]
    python tools/bench_patch.py --data-only [--n-train 40] [--n-test 16] [--patch 26 29]
    python tools/bench_patch.py --set benthic --data-only

``--set benthic`` runs ``configs/benchmarks/benthic_patch.py`` on the frames of
``configs/benthic/_base_.py`` (composed by ``--data-only``, or by the first row); its extras are the
SimCLR time, the seed spread, the true patch map refined to pixels, the chance level of the random
CLIP and the figure ``docs/figures/benthic_patch_maps.png``. What follows describes the default set.

1. The rows: ``tools/benchmark.py --matrix configs/benchmarks/seagrass_patch.py``. Every row is
   an ordinary config trained by ``tools/train.py`` and scored by its validation loop (the
   ensemble: assembled by ``wsseg.patch.make_ensemble`` and scored by ``tools/test.py``); results
   in ``work_dirs/benchmarks/<row>/result.json``. ``--extras-only`` skips this step.
2. The extras, from those rows' files: SimCLR pretraining time (from its checkpoint), the
   patch-inference throughput ratio (frame cut into patches vs one pass with grid pooling), the
   true patch map refined to pixels (what refinement can do when the patch map is right), the
   chance level of the random-CLIP pseudo-labels, the verdicts, and the figure
   ``docs/figures/seagrass_patch_maps.png``. They go to ``docs/benchmark_results/seagrass_patch_extras.md``
   (kept in git, beside the rows' result copies),
   which the matrix appends under its rows when ``tools/benchmark.py`` renders the section
   ``seagrass_patch`` of docs/benchmarks.md.

``--data-only`` writes the synthetic frames the configs read (``$SEAGRASS_SYNTH``, default
``work_dirs/seagrass_synth``), if they are not there yet.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
MATRIX = 'configs/benchmarks/seagrass_patch.py'
WORK = REPO / 'work_dirs' / 'benchmarks'
RESULTS = REPO / 'docs' / 'benchmark_results'   # kept in git, beside the rows' result copies
EXTRAS = RESULTS / 'seagrass_patch_extras.md'
FIGURE = REPO / 'docs' / 'figures' / 'seagrass_patch_maps.png'
ROWS = dict(simclr='seafeats_simclr_synth', random='seafeats_random_init_synth', clip='seaclip_random_clip_synth',
            ensemble='ensemble_random_clip_synth', upper='patch_supervised_synth',
            upper_simclr='patch_supervised_simclr_synth', naive='image_label_baseline_synth')
SMALL_SAM = dict(type='small')       # what the matrix's SAM column uses: random weights, seed 0


BENTHIC = dict(matrix='configs/benchmarks/benthic_patch.py', config='configs/benthic/_base_.py',
               extras=RESULTS / 'benthic_patch_extras.md', figure=REPO / 'docs' / 'figures' / 'benthic_patch_maps.png',
               simclr=WORK / 'simclr200_benthic.pth',
               rows=dict(simclr='seafeats_simclr_benthic', simclr_s1='seafeats_simclr_benthic_s1',
                         random='seafeats_random_init_benthic', random_s1='seafeats_random_init_benthic_s1',
                         clip='seaclip_random_clip_benthic',
                         ensemble='ensemble_random_clip_benthic', naive='image_label_baseline_benthic',
                         upper_simclr='patch_supervised_simclr_benthic',
                         upper_simclr_s1='patch_supervised_simclr_benthic_s1', upper='patch_supervised_benthic'))


def synth_root() -> Path:
    return Path(os.environ.get('SEAGRASS_SYNTH', REPO / 'work_dirs' / 'seagrass_synth'))


def make_data(root: Path, n_train: int, n_test: int, patch: tuple[int, int]) -> None:
    from wsseg.datasets.synthetic import make_seagrass_frames
    for split, n, seed in (('train', n_train, 0), ('test', n_test, 1)):
        if not (root / split / 'labels.json').exists():
            make_seagrass_frames(root / split, n, patch=patch, seed=seed)


def simclr_stats(path: Path) -> dict:
    """What ``tools/pretrain_simclr.py`` stored about its run (seconds, epochs, losses, images)."""
    return torch.load(path, map_location='cpu', weights_only=True)['meta']


@torch.no_grad()
def throughput(model, frames: list[np.ndarray], grid=(5, 8), repeats: int = 5) -> dict:
    """Seconds per frame: one pass with grid pooling vs the frame cut into patches (one batch).

    The two are timed alternately on each frame and the medians kept, so load from other jobs on
    a shared machine hits both alike."""
    from wsseg.patch.grid import split_patches
    model.eval()
    pre = model.data_preprocessor

    def cut(x):
        parts = split_patches(x[0].permute(1, 2, 0).numpy(), grid)
        h, w = min(p.shape[0] for p in parts), min(p.shape[1] for p in parts)
        return torch.stack([torch.from_numpy(p[:h, :w].copy()).permute(2, 0, 1) for p in parts])

    def timed(fn):
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0
    frame, patches = [], []
    for _ in range(repeats):
        for img in frames:
            x = (torch.from_numpy(img).permute(2, 0, 1)[None].float() - pre.mean) / pre.std
            frame.append(timed(lambda: model.classify(model.features(x, grid))))
            patches.append(timed(lambda: model.classify(model.features(cut(x), (1, 1)))))
    t_frame, t_patch = float(np.median(frame)), float(np.median(patches))
    return dict(frame_s=t_frame, patches_s=t_patch, ratio=t_patch / t_frame)


def true_map_pixels(root: Path, classes, sam: dict | None = SMALL_SAM) -> dict:
    """Pixel mIoU of the TRUE patch map (0.9 on the true class) painted and refined, by the same
    ``PatchPixelMetric`` as the rows: the most pixel refinement can give on these frames."""
    from wsseg.patch.pixel_metric import PatchPixelMetric
    k = len(classes)
    metric = PatchPixelMetric(mask_dir=str(root / 'test' / 'pixel_masks'), classes=classes, sam=sam)
    samples = []
    for path in sorted((root / 'test' / 'frames').rglob('*.jpg')):
        truth = np.load(root / 'test' / 'patch_labels' / f'{path.stem}.npy')
        probs = np.full((k, *truth.shape), 0.1 / (k - 1), np.float32)
        np.put_along_axis(probs, truth[None], 0.9, 0)
        samples.append(dict(img_path=str(path), img_id=path.stem, extra={'probs': probs}))
    metric.process(None, samples)
    return metric.compute_metrics(metric.results)


def chance_accuracy(root: Path, fg_share: float) -> float:
    """Expected accuracy (%) on the train patches of labels that keep a foreground frame's class
    on a random ``fg_share`` of its patches (background elsewhere, and on background frames)."""
    meta = json.loads((root / 'train' / 'labels.json').read_text())
    bg = len(meta['classes']) - 1
    hits = total = 0.0
    for f in meta['frames'].values():
        t = np.asarray(f['patch_labels'])
        if f['label_index'] == bg:
            hits += (t == bg).sum()
        else:
            hits += fg_share * (t == f['label_index']).sum() + (1 - fg_share) * (t == bg).sum()
        total += t.size
    return 100 * hits / total


def figure(root: Path, results: dict) -> Path:
    """A test frame: frame | true patches | SeaFeats / SeaCLIP / ensemble patch maps | the
    ensemble refined by the CRF and by SAM | pixel truth; and a train frame with its true
    patches and the pseudo-labels the SeaFeats and SeaCLIP rows trained on."""
    from mmengine.config import Config
    from PIL import Image, ImageDraw

    from wsseg.patch.grid import colour_patch_map
    from wsseg.patch.refine import refine_crf
    from wsseg.patch.runs import load_trained, predict_frames, synth_root as with_root
    from wsseg.patch.sam_refine import SamPatchRefiner
    from wsseg.utils.io import read_image, read_mask
    with with_root(root):
        test_ds = Config.fromfile(str(REPO / results[ROWS['simclr']]['config'])).test_dataloader.dataset
    probs, pred = {}, None
    for key in ('simclr', 'clip', 'ensemble'):
        if ROWS[key] not in results:
            continue
        wd = WORK / ROWS[key]
        ckpt = wd / 'ensemble.pth' if key == 'ensemble' else Path((wd / 'last_checkpoint').read_text().strip())
        pred = predict_frames(load_trained(REPO / results[ROWS[key]]['config'], ckpt), test_ds)
        probs[key] = pred['probs']
    pal = np.asarray(pred['palette'], np.uint8)
    i = next(j for j, p in enumerate(pred['paths']) if '/Background/' not in p)
    fid, img = pred['ids'][i], read_image(pred['paths'][i])
    tiles = [('test frame', img), ('true patches', colour_patch_map(np.load(root / 'test' / 'patch_labels' / f'{fid}.npy'), pal, img))]
    names = dict(simclr='SeaFeats (SimCLR)', clip='SeaCLIP (random CLIP)', ensemble='ensemble')
    tiles += [(names[k], colour_patch_map(p[i].argmax(0).numpy(), pal, img)) for k, p in probs.items()]
    if 'ensemble' in probs:
        p = probs['ensemble'][i].numpy()
        tiles += [('ensemble + CRF', pal[refine_crf(img, p)]),
                  ('ensemble + SAM (random)', pal[SamPatchRefiner(SMALL_SAM)(img, p)])]
    tiles.append(('pixel truth', pal[read_mask(root / 'test' / 'pixel_masks' / f'{fid}.png')]))
    meta = json.loads((root / 'train' / 'labels.json').read_text())
    tid = next(k for k, f in meta['frames'].items() if f['label'] != 'Background')
    timg = read_image(root / 'train' / 'frames' / meta['frames'][tid]['label'] / f'{tid}.jpg')
    row2 = [(f'train frame ({meta["frames"][tid]["label"]})', timg),
            ('true patches', colour_patch_map(np.load(root / 'train' / 'patch_labels' / f'{tid}.npy'), pal, timg))]
    for key, name in (('simclr', 'SeaFeats pseudo-labels'), ('clip', 'SeaCLIP pseudo-labels')):
        f = WORK / ROWS[key] / 'pseudo_labels' / f'{tid}.npy'
        if f.is_file():
            row2.append((name, colour_patch_map(np.load(f), pal, timg)))
    h, w = img.shape[:2]
    cols = max(len(tiles), len(row2))
    canvas = Image.new('RGB', (cols * (w + 4), 2 * (h + 16)), 'white')
    draw = ImageDraw.Draw(canvas)
    for r, row in enumerate((tiles, row2)):
        for c, (name, tile) in enumerate(row):
            x, y = c * (w + 4), r * (h + 16)
            canvas.paste(Image.fromarray(np.ascontiguousarray(tile)), (x, y + 14))
            draw.text((x + 2, y + 1), name, fill='black')
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(FIGURE, optimize=True)
    return FIGURE


def verdicts(results: dict, true_px: dict, chance: float | None) -> list[str]:
    """Plain statements of what the rows show (or n/a when a row is missing)."""
    def f1(key):
        r = results.get(ROWS[key])
        return None if r is None else r['metrics']['macro_F1']
    out = []
    e, a, b = f1('ensemble'), f1('simclr'), f1('clip')
    if None not in (e, a, b):
        out.append(f"- **Does the ensemble beat each model?** {'Yes' if e > max(a, b) else 'No'} here: macro F1 "
                   f'{e:.1f} against {a:.1f} (SeaFeats, SimCLR init) and {b:.1f} (SeaCLIP). Its SeaCLIP member '
                   'learned from random-CLIP labels, so averaging can only dilute SeaFeats; the seed\'s claim needs '
                   'real CLIP weights, which this workplace does not have.')
    pairs = [(f1(a), f1(b), what) for a, b, what in (('simclr', 'upper_simclr', 'SimCLR init'),
                                                      ('random', 'upper', 'random init'))]
    pairs = [f'{x / u:.2f} with {what} ({x:.1f} vs {u:.1f})' for x, u, what in pairs if None not in (x, u)]
    if pairs:
        out.append('- **Do image labels come close to patch labels?** SeaFeats (image labels) / the upper bound '
                   '(true patch labels) with the same trunk init, in macro F1: ' + '; '.join(pairs) + '.')
    s, r_ = f1('simclr'), f1('random')
    if None not in (s, r_):
        out.append(f'- **SimCLR init against random init:** macro F1 {s:.1f} vs {r_:.1f}.')
    clip = results.get(ROWS['clip'])
    if clip and chance is not None and 'pseudo/accuracy' in clip['metrics']:
        out.append(f"- **SeaCLIP with a random-weight CLIP is no better than chance:** its pseudo-labels score "
                   f"accuracy {clip['metrics']['pseudo/accuracy']:.1f}, against {chance:.1f} expected from keeping "
                   f"the frame's class on a random {100 * clip['metrics']['pseudo/fg_share']:.0f}% of its patches (its "
                   'own foreground rate). The row measures the pipeline, not SeaCLIP.')
    gains = [r['metrics']['pixel_mIoU.crf'] - r['metrics']['pixel_mIoU.coarse'] for r in results.values()
             if 'pixel_mIoU.crf' in r.get('metrics', {})]
    if gains:
        out.append(f"- **Pixel refinement vs patch level:** on the rows' patch maps the CRF moves pixel mIoU by "
                   f"{min(gains):+.1f} to {max(gains):+.1f} points; on the true patch map by "
                   f"{true_px['pixel_mIoU.crf'] - true_px['pixel_mIoU.coarse']:+.1f}. Refinement sharpens the borders "
                   'of a right patch map; it cannot fix wrong patches, which dominate the trained rows\' errors.')
    return out


def extras(root: Path) -> str:
    """The markdown under the rows (see the module docstring)."""
    from mmengine.config import Config

    from wsseg.registry import MODELS
    from wsseg.utils.setup_env import register_all_modules
    register_all_modules()
    torch.set_num_threads(1)
    results = {n: json.loads((WORK / n / 'result.json').read_text()) for n in ROWS.values()
               if (WORK / n / 'result.json').is_file()}
    classes = json.loads((root / 'test' / 'labels.json').read_text())['classes']
    true_px = true_map_pixels(root, classes)
    model = MODELS.build(dict(Config.fromfile(str(REPO / 'configs/seafeats/seafeats_random_init_synth.py')).model))
    from wsseg.utils.io import read_image
    tp = throughput(model, [read_image(p) for p in sorted((root / 'test' / 'frames').rglob('*.jpg'))[:8]])
    big = (520, 925)                        # a fifth of a DeepSeagrass frame: 5x8 patches of 104x115
    tp_big = throughput(model, [np.random.default_rng(0).integers(0, 256, (*big, 3), dtype=np.uint8)], repeats=3)
    size = json.loads((root / 'test' / 'labels.json').read_text())['frame_size']
    clip = results.get(ROWS['clip'], {}).get('metrics', {})
    chance = chance_accuracy(root, clip['pseudo/fg_share']) if 'pseudo/fg_share' in clip else None
    lines = ['', 'Beside the rows:', '', '| measurement | value |', '|---|---|']
    simclr = WORK / 'simclr_seagrass.pth'
    if simclr.is_file():
        s = simclr_stats(simclr)
        lines.append(f"| SimCLR pretraining (`tools/pretrain_simclr.py`, before the SeaFeats SimCLR row) | "
                     f"{s['seconds']:.0f} s for {s['epochs']} epochs on {s['n_images']} unlabelled train frames "
                     f"(views {s['size']} px), NT-Xent {s['losses'][0]:.3f} -> {s['losses'][-1]:.3f} |")
    for (h, w), t, n in (((size[0], size[1]), tp, 40), (big, tp_big, 3)):
        lines.append(f"| patch inference, {w}x{h} frame, 1 thread, median of {n} alternated timings: frame cut into "
                     f"40 patches (one batch, cutting included) / one pass with grid pooling | "
                     f"{1000 * t['patches_s']:.1f} / {1000 * t['frame_s']:.1f} ms per frame = **{t['ratio']:.2f}x** |")
    lines.append(f"| pixel mIoU of the TRUE patch map: painted / + CRF / + superpixels / + SAM (random weights) | "
                 f"{true_px['pixel_mIoU.coarse']:.1f} / {true_px['pixel_mIoU.crf']:.1f} / "
                 f"{true_px['pixel_mIoU.superpixels']:.1f} / {true_px['pixel_mIoU.sam']:.1f} |")
    if chance is not None:
        lines.append(f'| accuracy of chance pseudo-labels at the random CLIP\'s foreground rate (train patches) | '
                     f'{chance:.1f} |')
    lines += ['', *verdicts(results, true_px, chance)]
    if ROWS['simclr'] in results:
        figure(root, results)
        lines += ['', '![a test frame: patch maps of the rows and pixel maps; a train frame with its pseudo-labels]'
                  '(figures/seagrass_patch_maps.png)']
    return '\n'.join(lines)


# ---------------------------------------------------------------- --set benthic
def benthic_config():
    from mmengine.config import Config
    return Config.fromfile(str(REPO / BENTHIC['config']))


def make_benthic_data() -> Path:
    """Compose (or reuse) the frames of ``configs/benthic/_base_.py``; returns their root."""
    from wsseg.datasets.benthic import compose_benthic_frames
    cfg = benthic_config()
    root = Path(cfg.data_root) if Path(cfg.data_root).is_absolute() else REPO / cfg.data_root
    patches = Path(cfg.patch_root) if Path(cfg.patch_root).is_absolute() else REPO / cfg.patch_root
    compose_benthic_frames(patches, root, **cfg.composition)
    return root


def mean_spread(results: dict, keys: list[str], metric: str = 'macro_F1') -> tuple[float, float, list[float]] | None:
    vals = [results[BENTHIC['rows'][k]]['metrics'][metric] for k in keys if BENTHIC['rows'][k] in results]
    return None if not vals else (float(np.mean(vals)), float(max(vals) - min(vals)), vals)


def benthic_figure(root: Path, results: dict, n_frames: int = 3) -> Path:
    """Test frames (one per foreground group): frame | true patches | the rows' patch maps | the
    ensemble refined by the CRF and by superpixels; and a train frame with its true patches and the
    pseudo-labels SeaFeats and SeaCLIP trained on. Every tile is a patch map over the frame."""
    from PIL import Image, ImageDraw

    from wsseg.patch.grid import colour_patch_map
    from wsseg.patch.refine import refine_crf, refine_superpixels
    from wsseg.patch.runs import load_trained, predict_frames
    from wsseg.utils.io import read_image
    rows = BENTHIC['rows']
    test_ds = benthic_config().test_dataloader.dataset
    names = dict(simclr='SeaFeats (SimCLR)', upper_simclr='upper bound (SimCLR)', naive='image label baseline',
                 clip='SeaCLIP (random CLIP)', ensemble='ensemble')
    probs, pred = {}, None
    for key in names:
        if rows[key] not in results:
            continue
        wd = WORK / rows[key]
        ckpt = wd / 'ensemble.pth' if key == 'ensemble' else Path((wd / 'last_checkpoint').read_text().strip())
        pred = predict_frames(load_trained(REPO / results[rows[key]]['config'], ckpt), test_ds)
        probs[key] = pred['probs']
    pal = np.asarray(pred['palette'], np.uint8)
    classes = pred['classes']
    picked = []
    for g in classes[:-1][:n_frames]:
        picked += [j for j, p in enumerate(pred['paths']) if f'/{g}/' in p][:1]
    grid_rows = []
    for i in picked:
        fid, img = pred['ids'][i], read_image(pred['paths'][i])
        truth = np.load(root / 'test' / 'patch_labels' / f'{fid}.npy')
        tiles = [(f'test frame ({classes[int(np.bincount(truth.ravel()).argmax())]})', img),
                 ('true patches', colour_patch_map(truth, pal, img))]
        tiles += [(names[k], colour_patch_map(p[i].argmax(0).numpy(), pal, img)) for k, p in probs.items()]
        if 'ensemble' in probs:
            p = probs['ensemble'][i].numpy()
            tiles += [('ensemble + CRF', pal[refine_crf(img, p)]), ('ensemble + superpixels', pal[refine_superpixels(img, p)])]
        grid_rows.append(tiles)
    meta = json.loads((root / 'train' / 'labels.json').read_text())
    tid = next(k for k, f in meta['frames'].items() if f['label'] != classes[-1])
    timg = read_image(root / 'train' / 'frames' / meta['frames'][tid]['label'] / f'{tid}.jpg')
    row2 = [(f'train frame ({meta["frames"][tid]["label"]})', timg),
            ('true patches', colour_patch_map(np.load(root / 'train' / 'patch_labels' / f'{tid}.npy'), pal, timg))]
    for key, name in (('simclr', 'SeaFeats pseudo-labels'), ('clip', 'SeaCLIP pseudo-labels')):
        f = WORK / rows[key] / 'pseudo_labels' / f'{tid}.npy'
        if f.is_file():
            row2.append((name, colour_patch_map(np.load(f), pal, timg)))
    grid_rows.append(row2)
    h, w = timg.shape[:2]
    cols = max(len(r) for r in grid_rows)
    legend = 18
    canvas = Image.new('RGB', (cols * (w + 4), len(grid_rows) * (h + 16) + legend), 'white')
    draw = ImageDraw.Draw(canvas)
    for r, row in enumerate(grid_rows):
        for c, (name, tile) in enumerate(row):
            x, y = c * (w + 4), r * (h + 16)
            canvas.paste(Image.fromarray(np.ascontiguousarray(tile)), (x, y + 14))
            draw.text((x + 2, y + 1), name, fill='black')
    y = len(grid_rows) * (h + 16) + 3
    for k, name in enumerate(classes):
        draw.rectangle((4 + 110 * k, y, 16 + 110 * k, y + 12), fill=tuple(int(v) for v in pal[k]))
        draw.text((20 + 110 * k, y), name, fill='black')
    BENTHIC['figure'].parent.mkdir(parents=True, exist_ok=True)
    canvas.save(BENTHIC['figure'], optimize=True)     # RGB: a 256-colour palette shifts cells by up to 25 levels
    return BENTHIC['figure']


def benthic_verdicts(results: dict, true_px: dict, chance: float | None) -> list[str]:
    rows = BENTHIC['rows']

    def f1(key):
        r = results.get(rows[key])
        return None if r is None else r['metrics']['macro_F1']
    out = []
    sf, up = mean_spread(results, ['simclr', 'simclr_s1']), mean_spread(results, ['upper_simclr', 'upper_simclr_s1'])
    if sf and up:
        ratios = [a / b for a, b in zip(sf[2], up[2])]
        verdict = 'reached' if sf[0] / up[0] >= 0.80 else 'NOT reached'
        out.append(f'- **Goal SeaFeats (SimCLR) >= 0.80 of the upper bound in macro F1: {verdict}** on real textures: '
                   f'mean of {len(sf[2])} training seeds {sf[0]:.1f} (spread {sf[1]:.1f}) against {up[0]:.1f} '
                   f'(spread {up[1]:.1f}) = **{sf[0] / up[0]:.2f}** (per seed: '
                   + ', '.join(f'{r:.2f}' for r in ratios) + '; synthetic frames: 0.776).')
    e, a, b = f1('ensemble'), f1('simclr'), f1('clip')
    if None not in (e, a, b):
        em, am = results[rows['ensemble']]['metrics'], results[rows['simclr']]['metrics']
        spread = sf[1] if sf else float('nan')
        out.append(f"- **Ensemble against its members:** macro F1 {e:.1f} against {a:.1f} (SeaFeats, SimCLR, seed 0) and "
                   f"{b:.1f} (SeaCLIP with a random-weight CLIP, a chance-level member): {e - max(a, b):+.1f} against the "
                   f"best member, {'inside' if abs(e - max(a, b)) <= spread else 'beyond'} SeaFeats' seed spread ({spread:.1f}). "
                   'Standardising puts both '
                   'members on one scale, so the chance member gets half the vote: it moves the average towards its '
                   'own labels wherever SeaFeats is not confident. Here the random CLIP labelled every patch with its '
                   "frame's class, so it pulls substrate cells of foreground frames towards the frame's class: "
                   f"Background F1 {am['F1.Background']:.1f} -> {em['F1.Background']:.1f}, recall "
                   f"{am.get('recall.Background', float('nan')):.1f} -> {em.get('recall.Background', float('nan')):.1f}, "
                   'while foreground recall rises. The goal ">= best member when both are above chance" cannot be '
                   'tested here: no CLIP weights exist in this workplace.')
    n, s = f1('naive'), f1('simclr')
    if None not in (n, s):
        out.append(f'- **SeaFeats against the image label on every patch** (same SimCLR trunk): {s:.1f} vs {n:.1f}.')
    rnd = mean_spread(results, ['random', 'random_s1'])
    if sf and rnd:
        out.append(f'- **SimCLR init against random init (SeaFeats, mean of training seeds):** macro F1 {sf[0]:.1f} '
                   f'(spread {sf[1]:.1f}) vs {rnd[0]:.1f} (spread {rnd[1]:.1f}); upper bound '
                   f"{f1('upper_simclr') or float('nan'):.1f} vs {f1('upper') or float('nan'):.1f} (seed 0). "
                   + ('The difference is inside the seed spread.' if abs(sf[0] - rnd[0]) <= max(sf[1], rnd[1])
                      else 'The difference is larger than the seed spread.'))
    clip = results.get(rows['clip'])
    if clip and chance is not None and 'pseudo/accuracy' in clip['metrics']:
        out.append(f"- **SeaCLIP with a random-weight CLIP is chance:** its pseudo-labels score accuracy "
                   f"{clip['metrics']['pseudo/accuracy']:.1f}, against {chance:.1f} expected from keeping the frame's "
                   f"class on a random {100 * clip['metrics']['pseudo/fg_share']:.0f}% of its patches"
                   + (': the random CLIP put every patch under a foreground prompt, so its labels are the image label '
                      'on every patch and the row trained as the image-label baseline (from random init).'
                      if clip['metrics']['pseudo/fg_share'] >= 0.999 else '.'))
    gains = {r['name']: (r['metrics']['pixel_mIoU.crf'] - r['metrics']['pixel_mIoU.coarse'],
                         r['metrics']['pixel_mIoU.superpixels'] - r['metrics']['pixel_mIoU.coarse'])
             for r in results.values() if 'pixel_mIoU.crf' in r.get('metrics', {})}
    if gains:
        crf, sp = [g[0] for g in gains.values()], [g[1] for g in gains.values()]
        out.append(f"- **Pixel refinement:** against the patch truth painted to pixels, the CRF moves the rows' pixel "
                   f'mIoU by {min(crf):+.1f} to {max(crf):+.1f} points and superpixels by {min(sp):+.1f} to '
                   f'{max(sp):+.1f}; the true patch map painted scores {true_px["pixel_mIoU.coarse"]:.1f} by '
                   f'construction and loses {true_px["pixel_mIoU.coarse"] - true_px["pixel_mIoU.crf"]:.1f} to the CRF, '
                   f'{true_px["pixel_mIoU.coarse"] - true_px["pixel_mIoU.superpixels"]:.1f} to superpixels. On composed '
                   'frames the true borders are the cell borders, so this measures only whether a refiner keeps a '
                   'right border and moves a wrong one onto the seam between two patches; it cannot measure pixel '
                   'accuracy inside a patch (a CoralNet patch is labelled by its centre point, its other pixels '
                   'may be sand).')
    return out


def benthic_extras(root: Path) -> str:
    from wsseg.utils.setup_env import register_all_modules
    register_all_modules()
    torch.set_num_threads(1)
    rows = BENTHIC['rows']
    results = {n: json.loads((WORK / n / 'result.json').read_text()) for n in rows.values()
               if (WORK / n / 'result.json').is_file()}
    meta = json.loads((root / 'test' / 'labels.json').read_text())
    true_px = true_map_pixels(root, meta['classes'], sam=None)
    clip = results.get(rows['clip'], {}).get('metrics', {})
    chance = chance_accuracy(root, clip['pseudo/fg_share']) if 'pseudo/fg_share' in clip else None
    tr = json.loads((root / 'train' / 'labels.json').read_text())
    lines = ['', 'Beside the rows:', '', '| measurement | value |', '|---|---|',
             f"| frames | {tr['n_frames']} train / {meta['n_frames']} test frames of {meta['frame_size'][1]}x"
             f"{meta['frame_size'][0]} px; patches per split (train / test): "
             f"{sum(tr['n_patches'].values())} / {sum(meta['n_patches'].values())}; test patch shares "
             + ', '.join(f'{k} {100 * v:.0f}%' for k, v in meta['patch_freq'].items()) + ' |']
    if BENTHIC['simclr'].is_file():
        s = simclr_stats(BENTHIC['simclr'])
        lines.append(f"| SimCLR pretraining (`tools/pretrain_simclr.py`, before the SimCLR rows) | {s['seconds']:.0f} s "
                     f"for {s['epochs']} epochs on {s['n_images']} unlabelled train patches (views {s['size']} px), "
                     f"NT-Xent {s['losses'][0]:.3f} -> {s['losses'][-1]:.3f} |")
    for keys, what in ((['simclr', 'simclr_s1'], 'SeaFeats (SimCLR)'), (['random', 'random_s1'], 'SeaFeats (random init)'),
                       (['upper_simclr', 'upper_simclr_s1'], 'upper bound (SimCLR)')):
        ms = mean_spread(results, keys)
        if ms:
            lines.append(f'| {what}, macro F1 over training seeds {", ".join(f"{v:.1f}" for v in ms[2])} | mean '
                         f'{ms[0]:.1f}, spread {ms[1]:.1f} |')
    lines.append(f"| pixel mIoU of the TRUE patch map: painted / + CRF / + superpixels | "
                 f"{true_px['pixel_mIoU.coarse']:.1f} / {true_px['pixel_mIoU.crf']:.1f} / "
                 f"{true_px['pixel_mIoU.superpixels']:.1f} |")
    if chance is not None:
        lines.append(f"| accuracy of chance pseudo-labels at the random CLIP's foreground rate (train patches) | "
                     f'{chance:.1f} |')
    lines += ['', *benthic_verdicts(results, true_px, chance)]
    if rows['simclr'] in results:
        benthic_figure(root, results)
        lines += ['', '![test frames: true patches and the rows\' patch maps; a train frame with its pseudo-labels]'
                  '(figures/benthic_patch_maps.png)']
    return '\n'.join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--set', choices=('seagrass', 'benthic'), default='seagrass',
                   help='synthetic seagrass frames (default) or frames composed from real benthic patches')
    p.add_argument('--data-only', action='store_true', help='only write the frames')
    p.add_argument('--n-train', type=int, default=40)
    p.add_argument('--n-test', type=int, default=16)
    p.add_argument('--patch', type=int, nargs=2, default=(26, 29), help='patch H W (frame = 5x8 patches)')
    p.add_argument('--extras-only', action='store_true', help='do not run the rows; use their stored results')
    p.add_argument('--no-doc', action='store_true', help='write the extras file only')
    args = p.parse_args(argv)
    if args.set == 'benthic':
        return main_benthic(args)
    root = synth_root()
    make_data(root, args.n_train, args.n_test, tuple(args.patch))
    if args.data_only:
        print(f'synthetic seagrass frames in {root}')
        return
    from tools.benchmark import main as benchmark
    t0 = time.time()
    if not args.extras_only:
        benchmark(['--matrix', MATRIX])
    EXTRAS.parent.mkdir(parents=True, exist_ok=True)
    EXTRAS.write_text(extras(root))
    print(f'[bench_patch] extras in {EXTRAS} ({time.time() - t0:.0f} s with the rows)')
    if not args.no_doc:
        benchmark(['--matrix', MATRIX, '--report-only'])



def main_benthic(args) -> None:
    root = make_benthic_data()
    if args.data_only:
        print(f'benthic frames in {root}')
        return
    from tools.benchmark import main as benchmark
    t0 = time.time()
    if not args.extras_only:
        benchmark(['--matrix', BENTHIC['matrix']])
    BENTHIC['extras'].parent.mkdir(parents=True, exist_ok=True)
    BENTHIC['extras'].write_text(benthic_extras(root))
    print(f"[bench_patch] extras in {BENTHIC['extras']} ({time.time() - t0:.0f} s with the rows)")
    if not args.no_doc:
        benchmark(['--matrix', BENTHIC['matrix'], '--report-only'])


if __name__ == '__main__':
    main()
