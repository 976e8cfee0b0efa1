"""Figure for docs/methods/dense_losses.md: what each loss does to a prediction from scribbles.

    python tools/plot_dense_losses.py [--out docs/figures/dense_losses.png] [--steps 200]
    python tools/plot_dense_losses.py --budget configs/benchmarks/camvid_dense.py

The second form plots the annotation-budget curve (val mIoU against scribble coverage) from
the stored results of a benchmark matrix's rows that carry a ``coverage``.

One synthetic scene (``make_scenes``) with simulated 3% scribbles. A tiny fully convolutional
network (random init, CPU, one thread, Adam) is fitted to that one image from scratch with
each loss set for the same number of steps, regularisers from step ``steps // 4`` on (the
two-phase schedule); the last panel refines the pCE-only prediction with the mean-field CRF.
Panel titles give the mIoU against the scene's full mask (not seen in training).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402
from tqdm import tqdm  # noqa: E402

from wsseg.datasets.synthetic import make_scenes  # noqa: E402
from wsseg.evaluation.confusion import confusion_matrix, scores_from_confusion  # noqa: E402
from wsseg.losses import PartialCrossEntropy, SegBatch  # noqa: E402  (also registers the losses)
from wsseg.losses.schedule import Scheduled  # noqa: E402
from wsseg.refine.crf import dense_crf_meanfield  # noqa: E402
from wsseg.utils.io import read_image, read_mask  # noqa: E402
from wsseg.weak.simulate import simulate_scribbles  # noqa: E402

CLASSES = ('background', 'disc', 'square', 'triangle', 'stripes')


def tiny_net(k: int) -> nn.Module:
    """Five 3x3 conv layers (dilations 1, 2, 4, 8, 1), 32 channels: a receptive field of ~65 px."""
    layers, c = [], 3
    for d in (1, 2, 4, 8, 1):
        layers += [nn.Conv2d(c, 32, 3, padding=d, dilation=d), nn.BatchNorm2d(32), nn.ReLU(True)]
        c = 32
    return nn.Sequential(*layers, nn.Conv2d(32, k, 1))


def fit(image: torch.Tensor, batch: SegBatch, losses: list[nn.Module], steps: int, seed: int) -> torch.Tensor:
    """Train a fresh tiny net on the one image; returns its final logits (1, K, H, W)."""
    torch.manual_seed(seed)
    net = tiny_net(len(CLASSES))
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    x = (image - image.mean((2, 3), keepdim=True)) / image.std((2, 3), keepdim=True)
    for it in range(steps):
        batch.iteration = it
        logits = net(x)
        loss = sum(loss_fn(logits, batch) for loss_fn in losses)
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        return net(x)


def miou(pred: np.ndarray, gt: np.ndarray) -> float:
    """mIoU in percent over the classes present in the truth or the prediction."""
    return 100.0 * float(scores_from_confusion(confusion_matrix(pred, gt, len(CLASSES)))['mIoU'])


def plot_budget(matrix_path: str, work_root: str, out: str) -> Path:
    """mIoU against scribble coverage from ``<work_root>/<row>/result.json`` of the matrix's rows
    with a ``coverage`` key; the reference row's mIoU is drawn as a flat line."""
    import json
    from mmengine.config import Config
    from wsseg.visualization.plots import plot_curves
    matrix = Config.fromfile(matrix_path)
    rows = sorted((r for r in matrix.rows if 'coverage' in r), key=lambda r: r['coverage'])
    if not rows:
        raise ValueError(f'{matrix_path}: no row has a coverage key')
    pts = []
    for r in rows:
        f = Path(work_root, r['name'], 'result.json')
        if not f.is_file():
            raise FileNotFoundError(f'{f}: no result for row {r["name"]} ({r["config"]}); run '
                                    f'tools/benchmark.py --matrix {matrix_path} --rows {r["name"]} first')
        pts.append((100 * r['coverage'], json.loads(f.read_text())['mIoU']))
    series = {rows[0]['method']: tuple(zip(*pts))}
    ref = Path(work_root, matrix.reference, 'result.json')
    if ref.is_file():
        full = json.loads(ref.read_text())['mIoU']
        series[f'{matrix.reference} (full masks)'] = ((pts[0][0], pts[-1][0]), (full, full))
    path = plot_curves(out, series, xlabel='scribble coverage (% of pixels, log scale)',
                       ylabel='val mIoU (%)', title=f'{Path(matrix_path).stem}: annotation budget', logx=True)
    print(f'{path}: ' + ', '.join(f'{c:g}%: {m:.2f}' for c, m in pts))
    return path


def main(argv=None) -> Path:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', default='docs/figures/dense_losses.png')
    p.add_argument('--steps', type=int, default=200)
    p.add_argument('--scene-seed', type=int, default=16)
    p.add_argument('--size', type=int, default=112)
    p.add_argument('--budget', metavar='MATRIX', help='plot the annotation-budget curve of this matrix instead')
    p.add_argument('--work-root', default='work_dirs/benchmarks', help='where the matrix rows stored results')
    args = p.parse_args(argv)
    if args.budget:
        out = args.out if args.out != p.get_default('out') else 'docs/figures/camvid_dense_budget.png'
        return plot_budget(args.budget, args.work_root, out)
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        make_scenes(tmp, n=1, size=(args.size, args.size), seed=args.scene_seed, classes=CLASSES)
        img = np.array(read_image(Path(tmp, 'images/train/scene_00000.png')))   # writable copy
        gt = read_mask(Path(tmp, 'masks/train/scene_00000.png'))
    scribbles = simulate_scribbles(gt, coverage=0.03, rng=np.random.default_rng(0))
    image = torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255
    batch = SegBatch(images=image, target=torch.from_numpy(scribbles.astype(np.int64))[None],
                     img_paths=['scene_00000'])
    start = args.steps // 4
    crf = Scheduled(dict(type='DenseCRFLoss', weight=0.01), start_iter=start, ramp_iters=start)
    ent = Scheduled(dict(type='EntropyLoss', weight=0.1), start_iter=start, ramp_iters=start)
    runs = {'pCE': [PartialCrossEntropy()], 'pCE + CRF': [PartialCrossEntropy(), crf],
            'pCE + entropy': [PartialCrossEntropy(), ent], 'pCE + CRF + entropy': [PartialCrossEntropy(), crf, ent]}
    preds, logits_pce = {}, None
    for name, losses in tqdm(runs.items(), desc='fitting'):
        logits = fit(image, batch, losses, args.steps, seed=0)
        preds[name] = logits.argmax(1)[0].numpy().astype(np.uint8)
        logits_pce = logits if name == 'pCE' else logits_pce
    q = dense_crf_meanfield(torch.from_numpy(img).permute(2, 0, 1)[None], logits_pce, 10, from_logits=True)
    preds['pCE -> mean-field CRF'] = q.argmax(1)[0].numpy().astype(np.uint8)
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from wsseg.visualization.plots import colorize, overlay
    panels = [('image', img), ('full mask (not used)', colorize(gt)),
              (f'scribbles ({100 * (scribbles != 255).mean():.1f}% of pixels)', overlay(img, scribbles, alpha=1.0))]
    panels += [(f'{n}\nmIoU {miou(m, gt):.1f}', colorize(m)) for n, m in preds.items()]
    fig, axes = plt.subplots(2, 4, figsize=(11, 6.0))
    for ax, (title, im) in zip(axes.flat, panels):
        ax.imshow(im, interpolation='nearest')
        ax.set_title(title, fontsize=9)
        ax.axis('off')
    for ax in axes.flat[len(panels):]:
        ax.axis('off')
    fig.suptitle(f'One synthetic scene, a tiny CNN fitted from random init for {args.steps} Adam steps '
                 f'(CPU); regularisers from step {start}', fontsize=10)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=80, bbox_inches='tight')
    print(f'{out}: {out.stat().st_size / 1024:.0f} KB; ' +
          ', '.join(f'{n}: {miou(m, gt):.1f}' for n, m in preds.items()))
    return out


if __name__ == '__main__':
    main()
