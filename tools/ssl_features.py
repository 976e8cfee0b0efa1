"""Look at and measure SSL trunks on CamVid: a linear probe of frozen features, a PCA picture
of the dense features, and the pretraining loss curves.

    python tools/ssl_features.py --trunks random work_dirs/ssl/camvid_densecl/trunk_iter125.pth ...
        [--names ...] [--out work_dirs/ssl/probe] [--pca-figure docs/figures/ssl_pca.png]
        [--loss-figure docs/figures/ssl_loss.png --runs work_dirs/ssl/camvid_densecl ...]

Probe: each trunk (``random`` = the random initialisation every row starts from, seed 0) is
frozen at output stride 16; a 1x1 conv on its layer4 features is trained with cross-entropy
(Adam, full batch, ``--steps``) on the CamVid train frames and scored by val mIoU: how much of
the segmentation is linearly readable from the features, before any fine-tuning. PCA: the first
three principal components of each trunk's features on a few val frames, as RGB (one PCA per
frame): regions that the features group look alike in colour.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from tqdm import tqdm  # noqa: E402

from wsseg.evaluation.confusion import confusion_matrix, scores_from_confusion  # noqa: E402
from wsseg.models.resnet_trunk import load_resnet_trunk  # noqa: E402
from wsseg.ssl.model import SSLPretrainer  # noqa: E402
from wsseg.utils.io import read_image, read_mask  # noqa: E402


def build_trunk(spec: str) -> SSLPretrainer:
    """The pretraining network (its input normalisation and trunk) with ``spec``'s trunk weights,
    or seeded random weights for ``'random'``."""
    torch.manual_seed(0)
    net = SSLPretrainer('simclr', depth=18, output_stride=16)
    if spec != 'random':
        load_resnet_trunk(net.trunk, spec, None, 'the probe trunk')
    return net.eval()


@torch.no_grad()
def features(net: SSLPretrainer, images: list[np.ndarray]) -> torch.Tensor:
    x = torch.stack([torch.from_numpy(np.array(im)).permute(2, 0, 1).float() for im in images])
    return torch.cat([net.features(x[i:i + 8]) for i in range(0, len(x), 8)])


def probe(train_f: torch.Tensor, train_m: torch.Tensor, val_f: torch.Tensor, val_m: torch.Tensor,
          k: int, steps: int) -> dict:
    """Train a 1x1 conv on frozen features (logits upsampled to the masks), return val scores."""
    torch.manual_seed(0)
    head = torch.nn.Conv2d(train_f.shape[1], k, 1)
    opt = torch.optim.Adam(head.parameters(), lr=1e-2)
    for _ in range(steps):
        logits = F.interpolate(head(train_f), size=train_m.shape[-2:], mode='bilinear', align_corners=False)
        loss = F.cross_entropy(logits, train_m, ignore_index=255)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        pred = F.interpolate(head(val_f), size=val_m.shape[-2:], mode='bilinear', align_corners=False).argmax(1)
    s = scores_from_confusion(confusion_matrix(pred.numpy(), val_m.numpy(), k))
    return dict(mIoU=100 * s['mIoU'], aAcc=100 * s['aAcc'], train_loss=float(loss))


def pca_rgb(f: torch.Tensor) -> np.ndarray:
    """(C, h, w) features -> (h, w, 3) uint8 of their first three principal components."""
    x = f.flatten(1).t()
    x = x - x.mean(0)
    _, _, v = torch.pca_lowrank(x, q=3, center=False)
    p = x @ v[:, :3]
    p = (p - p.amin(0)) / (p.amax(0) - p.amin(0) + 1e-8)
    return (p.reshape(*f.shape[1:], 3).numpy() * 255).astype(np.uint8)


def pca_figure(path: Path, images: list[np.ndarray], trunks: dict[str, SSLPretrainer]) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    feats = {name: features(t, images) for name, t in trunks.items()}
    fig = Figure(figsize=(2.4 * (1 + len(trunks)), 1.9 * len(images)))
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(images), 1 + len(trunks), squeeze=False)
    for r, im in enumerate(images):
        axes[r, 0].imshow(im)
        for c, name in enumerate(trunks, 1):
            axes[r, c].imshow(pca_rgb(feats[name][r]), interpolation='nearest')
            if r == 0:
                axes[r, c].set_title(name, fontsize=8)
        if r == 0:
            axes[r, 0].set_title('val frame', fontsize=8)
    for a in axes.flat:
        a.axis('off')
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)


def loss_figure(path: Path, runs: list[str]) -> None:
    from wsseg.visualization.plots import plot_curves
    series = {}
    for run in runs:
        for f in sorted(Path(run).glob('*/vis_data/scalars.json'), key=lambda p: p.stat().st_mtime):
            recs = [json.loads(line) for line in f.read_text().splitlines() if '"loss"' in line]
            for r in recs:
                series.setdefault(Path(run).name, {})[r['step']] = r['loss']
    plot_curves(path, {k: (sorted(v), [v[s] for s in sorted(v)]) for k, v in series.items()},
                xlabel='iteration', ylabel='training loss', title='SSL pretraining on CamVid train frames')


def step_cost(folder: str, steps: int = 6, batch: int = 16) -> dict:
    """Seconds per training step (forward + backward, 112-pixel views) of SimCLR and DenseCL on
    one batch, interleaved in one process; the ratio is what to compare on a shared machine."""
    import time

    from wsseg.ssl import SSLPretrainer, UnlabelledImages
    ds = UnlabelledImages([folder], size=112, length=batch)
    items = [ds[i] for i in range(batch)]
    data = {k: torch.stack([it[k] for it in items]) for k in items[0]}
    models = {m: SSLPretrainer(method=m).train() for m in ('simclr', 'densecl')}
    times: dict[str, list[float]] = {m: [] for m in models}
    for _ in range(steps):
        for m, model in models.items():
            t = time.perf_counter()
            sum(model(**data, mode='loss').values()).backward()
            times[m].append(time.perf_counter() - t)
    med = {m: float(np.median(v[1:])) for m, v in times.items()}
    return dict(simclr_s=med['simclr'], densecl_s=med['densecl'], ratio=med['densecl'] / med['simclr'])


def main(argv=None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--trunks', nargs='+', default=['random'])
    p.add_argument('--names', nargs='+')
    p.add_argument('--data', default='../shared/data/camvid')
    p.add_argument('--train-frames', type=int, default=120, help='train frames for the probe (evenly spaced)')
    p.add_argument('--steps', type=int, default=200)
    p.add_argument('--out', default='work_dirs/ssl/probe')
    p.add_argument('--pca-figure')
    p.add_argument('--loss-figure')
    p.add_argument('--runs', nargs='*', default=[])
    p.add_argument('--step-cost', action='store_true', help='also time a DenseCL vs a SimCLR step')
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    names = args.names or [Path(t).stem if t != 'random' else 'random init' for t in args.trunks]
    root = Path(args.data)

    def load(split: str, n: int | None) -> tuple[list[np.ndarray], torch.Tensor]:
        files = sorted((root / 'images' / split).glob('*.jpg'))
        if n:
            files = [files[i] for i in np.linspace(0, len(files) - 1, n).round().astype(int)]
        ims = [read_image(f) for f in files]
        masks = torch.stack([torch.from_numpy(read_mask(root / 'masks' / split / f'{f.stem}.png').astype(np.int64))
                             for f in files])
        return ims, masks
    train_ims, train_m = load('train', args.train_frames)
    val_ims, val_m = load('val', None)
    trunks = {n: build_trunk(t) for n, t in zip(names, args.trunks)}
    rows = []
    for name, trunk in tqdm(trunks.items(), desc='probe'):
        r = probe(features(trunk, train_ims), train_m, features(trunk, val_ims), val_m, 11, args.steps)
        rows.append(dict(trunk=name, **r))
        print(f"{name:32s} probe val mIoU {r['mIoU']:.2f}  aAcc {r['aAcc']:.2f}", flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / 'probe.json').write_text(json.dumps(rows, indent=2))
    if args.step_cost:
        cost = step_cost(str(root / 'images' / 'train'))
        (out / 'step_cost.json').write_text(json.dumps(cost, indent=2))
        print(f"step: SimCLR {cost['simclr_s']:.2f} s, DenseCL {cost['densecl_s']:.2f} s, "
              f"DenseCL / SimCLR = {cost['ratio']:.2f}x", flush=True)
    if args.pca_figure:
        picks = [val_ims[i] for i in np.linspace(0, len(val_ims) - 1, 4).round().astype(int)]
        pca_figure(Path(args.pca_figure), picks, trunks)
    if args.loss_figure and args.runs:
        loss_figure(Path(args.loss_figure), args.runs)
    return rows


if __name__ == '__main__':
    main()
