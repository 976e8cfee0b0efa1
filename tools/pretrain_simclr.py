"""SimCLR pretraining of the ResNet-18 trunk on a domain's own unlabelled images.

    python tools/pretrain_simclr.py IMAGE_DIR [IMAGE_DIR ...] --out work_dirs/simclr.pth
        [--epochs 10] [--size 64] [--batch-size 32] [--temperature 0.5] [--patch-grid 5 8]
        [--skip-existing]

Images are found recursively (jpg/jpeg/png, hidden files skipped). ``--patch-grid`` trains on
the grid patches of each frame instead of whole frames. The checkpoint holds the trunk's
state dict under ``state_dict``; ``PatchClassifier(init_checkpoint=...)`` loads it when training starts.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from wsseg.patch.simclr import load_views, pretrain_simclr, save_simclr_checkpoint  # noqa: E402
from wsseg.ssl.dataset import find_images as ssl_find_images  # noqa: E402
from wsseg.utils.io import DataError  # noqa: E402


def find_images(dirs: list[str]) -> list[Path]:
    """Image files under the given folders (:func:`wsseg.ssl.dataset.find_images`); a missing
    or empty folder stops the tool with the folder's name."""
    try:
        return ssl_find_images(dirs)
    except DataError as e:
        raise SystemExit(f'pretrain_simclr: {e}') from None


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('dirs', nargs='+')
    p.add_argument('--out', required=True)
    p.add_argument('--epochs', type=int, default=10)
    p.add_argument('--size', type=int, default=64, help='side of the augmented views')
    p.add_argument('--batch-size', type=int, default=32)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--temperature', type=float, default=0.5)
    p.add_argument('--patch-grid', type=int, nargs=2, metavar=('ROWS', 'COLS'))
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--device', default='cpu')
    p.add_argument('--skip-existing', action='store_true',
                   help='do nothing when --out exists (rows of a benchmark that share one pretraining)')
    args = p.parse_args(argv)
    if args.skip_existing and Path(args.out).is_file():
        meta = torch.load(args.out, map_location='cpu', weights_only=True)['meta']
        print(f'pretrain_simclr: {args.out} exists, kept (--skip-existing)')
        return meta
    torch.set_num_threads(args.threads)
    paths = find_images(args.dirs)
    views = load_views(paths, tuple(args.patch_grid) if args.patch_grid else None)
    net, stats = pretrain_simclr(views, epochs=args.epochs, batch_size=args.batch_size, size=args.size,
                                 lr=args.lr, temperature=args.temperature, seed=args.seed, device=args.device)
    meta = dict(stats, temperature=args.temperature, size=args.size, sources=[str(d) for d in args.dirs])
    save_simclr_checkpoint(net, args.out, meta)
    print(json.dumps({k: v for k, v in meta.items() if k != 'losses'} | {'final_loss': stats['losses'][-1]}))
    return meta


if __name__ == '__main__':
    main()
