"""Draw the per-pixel truth of the logic constraints for an untrained and a target prediction.

    python tools/plot_logic_constraints.py [--out docs/figures/logic_constraints.png]

One synthetic scene (``wsseg.datasets.synthetic.make_scenes``) with simulated boxes and
scribbles. Row 1: a random, untrained prediction (smoothed noise logits); row 2: the target
(the true mask, logits 8 x one-hot). Each constraint panel shows ``exp(log-truth)`` of its
groundings (grey = not grounded), computed with the operators of :mod:`wsseg.logic.tnorm`;
the title gives the constraint's image value as the loss sees it (mean log-truth over its
groundings, from the registered constraint class).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import matplotlib  # noqa: E402

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from scipy import ndimage  # noqa: E402

from wsseg.logic import CONSTRAINTS, exists, liff, limplies, lnot  # noqa: E402
from wsseg.logic.superpixels import superpixel_labels  # noqa: E402

SP_PARAMS = dict(n_segments=60)


def scene(size: int = 96, seed: int = 3):
    """Image (H, W, 3) uint8, true mask, WeakLabels with simulated boxes + scribbles."""
    from wsseg.datasets.synthetic import SCENE_CLASSES, make_scenes
    from wsseg.structures import WeakLabels
    from wsseg.utils.io import read_image, read_mask
    from wsseg.weak.simulate import simulate_boxes, simulate_scribbles
    with tempfile.TemporaryDirectory() as tmp:
        make_scenes(tmp, splits={'train': 1}, size=(size, size), seed=seed, max_objects=2)
        img = read_image(Path(tmp) / 'images/train/scene_00000.png')
        gt = read_mask(Path(tmp) / 'masks/train/scene_00000.png')
    boxes, labels = simulate_boxes(gt, background_index=0, min_area=20)
    scr = simulate_scribbles(gt, coverage=0.03, rng=np.random.default_rng(0))
    return img, gt, WeakLabels(gt.shape, boxes=boxes, box_labels=labels, scribbles=scr,
                               source='synthetic scene'), len(SCENE_CLASSES)


def neighbours_exist(logp: torch.Tensor) -> torch.Tensor:
    """(K, H, W): exists q in the 8-neighbourhood of p with is(q, C); off-frame q don't count."""
    k, h, w = logp.shape
    pad = F.pad(lnot(logp), (1, 1, 1, 1))                # lnot of an absent neighbour = 0 (false)
    acc = torch.zeros_like(logp)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy or dx:
                acc = acc + pad[:, 1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
    return lnot(acc)


def pixel_truths(logp: torch.Tensor, weak, image: torch.Tensor, bg: int = 0) -> dict[str, np.ndarray]:
    """Per-pixel exp(log-truth) maps (NaN = not grounded) of six constraints."""
    k, h, w = logp.shape
    nan = torch.full((h, w), float('nan'))
    inside = torch.zeros(h, w, dtype=torch.bool)
    allowed = torch.zeros(k, h, w, dtype=torch.bool)        # OutsideClassBoxes: class c only in its boxes
    allowed[bg] = True
    tight = nan.clone()
    for (x1, y1, x2, y2), c in zip(weak.boxes, weak.box_labels):
        r0, r1, c0, c1 = int(y1), int(np.ceil(y2)), int(x1), int(np.ceil(x2))
        inside[r0:r1, c0:c1] = True
        allowed[int(c), r0:r1, c0:c1] = True
        win = logp[c, r0:r1, c0:c1]
        rows, cols = exists(win, dim=1), exists(win, dim=0)          # each row / column has c
        cell = rows[:, None] + cols[None, :]
        tight[r0:r1, c0:c1] = torch.where(torch.isnan(tight[r0:r1, c0:c1]), cell,
                                          torch.minimum(tight[r0:r1, c0:c1], cell))
    outside = torch.where(inside, nan, logp[bg])
    class_boxes = lnot(logp).masked_fill(allowed, 0.0).sum(0)
    scr = torch.as_tensor(weak.partial_mask().astype(np.int64))
    lab = scr != 255
    scribble = torch.where(lab, logp.gather(0, scr.clamp(max=k - 1)[None])[0], nan)
    support = limplies(logp, neighbours_exist(logp)).sum(0)
    sp = torch.as_tensor(superpixel_labels(image, 'slic', SP_PARAMS).astype(np.int64))
    border = torch.zeros(h, w)
    grounded = torch.zeros(h, w, dtype=torch.bool)
    for dy, dx in ((0, 1), (1, 0)):
        same = torch.zeros(h, w, dtype=torch.bool)
        same[:h - dy, :w - dx] = sp[:h - dy, :w - dx] == sp[dy:, dx:]
        f = torch.zeros(h, w)
        f[:h - dy, :w - dx] = liff(logp[:, :h - dy, :w - dx], logp[:, dy:, dx:]).sum(0)
        border = border + torch.where(same, f, 0.0)
        grounded |= same
    border = torch.where(grounded, border, nan)
    maps = dict(outside=outside, class_boxes=class_boxes, tightness=tight, scribbles=scribble,
                support=support, superpixel=border)
    return {n: m.exp().numpy() for n, m in maps.items()}


def image_values(logp: torch.Tensor, weak, image: torch.Tensor) -> dict[str, float]:
    """Each constraint's image value as the loss computes it (mean log-truth)."""
    cons = dict(outside=dict(type='OutsideBoxesBackground'),
                class_boxes=dict(type='OutsideClassBoxes', background_index=0),
                tightness=dict(type='BoxTightness'),
                scribbles=dict(type='ScribbleClass'),
                support=dict(type='NeighbourSupport', connectivity=8),
                superpixel=dict(type='SuperpixelBorder', params=SP_PARAMS))
    return {n: float(CONSTRAINTS.build(c)(logp[None], [weak], image[None])[0]) for n, c in cons.items()}


def draw(out: Path) -> None:
    img, gt, weak, k = scene()
    image = torch.as_tensor(np.array(img)).permute(2, 0, 1).float() / 255
    g = torch.Generator().manual_seed(0)
    noise = torch.randn(k, *gt.shape, generator=g).numpy()
    untrained = torch.as_tensor(ndimage.gaussian_filter(noise, (0, 3, 3)) * 8)
    target = 8.0 * F.one_hot(torch.as_tensor(gt.astype(np.int64)), k).permute(2, 0, 1).float()
    names = ['outside', 'class_boxes', 'tightness', 'scribbles', 'support', 'superpixel']
    titles = dict(outside='outside boxes: bg', class_boxes='class only in its boxes',
                  tightness='box tightness (row x col)',
                  scribbles='scribble class', support='neighbour support', superpixel='superpixel border')
    fig, axes = plt.subplots(2, 2 + len(names), figsize=(2.0 * (2 + len(names)), 4.6))
    cmap = plt.get_cmap('viridis').copy()
    cmap.set_bad('0.8')
    for r, (label, logits) in enumerate((('untrained (random)', untrained), ('target (true mask)', target))):
        logp = F.log_softmax(logits, 0)
        maps, vals = pixel_truths(logp, weak, image), image_values(logp, weak, image)
        ax = axes[r, 0]
        ax.imshow(img)
        for (x1, y1, x2, y2) in weak.boxes:
            ax.add_patch(plt.Rectangle((x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1, fill=False, ec='w', lw=1.2))
        ys, xs = np.nonzero(weak.partial_mask() != 255)
        ax.scatter(xs, ys, s=0.6, c=weak.partial_mask()[ys, xs], cmap='tab10', vmin=0, vmax=9)
        ax.set_title('image, boxes, scribbles' if r == 0 else '', fontsize=8)
        axes[r, 1].imshow(logp.argmax(0).numpy(), cmap='tab10', vmin=0, vmax=9, interpolation='nearest')
        axes[r, 1].set_title(label, fontsize=8)
        for j, n in enumerate(names):
            im = axes[r, 2 + j].imshow(np.ma.masked_invalid(maps[n]), cmap=cmap, vmin=0, vmax=1,
                                       interpolation='nearest')
            axes[r, 2 + j].set_title(f'{titles[n]}\nmean log-truth {vals[n]:.2f}', fontsize=7)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(im, ax=axes, fraction=0.015, pad=0.01, label='truth (grey: not grounded)')
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90, bbox_inches='tight')
    plt.close(fig)
    print(f'wrote {out} ({out.stat().st_size / 1024:.0f} KB)')


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', default=str(REPO / 'docs/figures/logic_constraints.png'))
    args = p.parse_args(argv)
    draw(Path(args.out))


if __name__ == '__main__':
    main()
