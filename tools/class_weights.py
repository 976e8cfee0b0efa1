"""Median-frequency class weights of a mask folder, for a second stage's cross-entropy.

``python tools/class_weights.py MASK_DIR --num-classes K [--classes a,b,c] [--out weights.json]``

Prints a table (pixels, frequency, weight per class) and the ``--cfg-options`` argument that
gives the weights to an mmseg config's decode head (``configs/stage2/*.py``), e.g.::

    python tools/train.py configs/stage2/msrc21_pseudo.py --cfg-options \\
        train_dataloader.dataset.data_prefix.seg_map_path=$PWD/masks \\
        $(python tools/class_weights.py masks --num-classes 21 --quiet)

For a wsseg config whose first loss is ``PartialCrossEntropy`` use ``--key model.losses.0``.
Compute them on the folder the network trains on (pseudo-masks, or the true masks of a
reference). Method and reference: ``wsseg/stage2/class_weights.py``. Measured on MSRC-21 (one
seed; docs/benchmarks.md): they lowered an mmseg stage 2 on (d)'s pseudo-masks, so they are
not on by default anywhere.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wsseg.stage2.class_weights import class_frequencies, median_frequency_weights  # noqa: E402
from wsseg.utils.io import write_json_atomic  # noqa: E402

KEY = 'model.decode_head.loss_decode'


def main(argv=None) -> list[float]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('mask_dir')
    p.add_argument('--num-classes', type=int, required=True)
    p.add_argument('--classes', help='comma-separated class names, for the table')
    p.add_argument('--key', default=KEY, help=f"config key of the loss; the option sets its class_weight, and "
                   f"for {KEY} (mmseg) also its type, ClassWeightedCrossEntropyLoss (default {KEY})")
    p.add_argument('--out', help='also write {classes, pixels, weights, cfg_option} to this JSON file')
    p.add_argument('--quiet', action='store_true', help='print only the --cfg-options argument')
    args = p.parse_args(argv)
    names = args.classes.split(',') if args.classes else [str(i) for i in range(args.num_classes)]
    if len(names) != args.num_classes:
        sys.exit(f'error: {len(names)} names in --classes for --num-classes {args.num_classes}')
    pixels, image_pixels = class_frequencies(args.mask_dir, args.num_classes, progress=not args.quiet)
    weights = [round(float(w), 4) for w in median_frequency_weights(pixels, image_pixels)]
    option = f"{args.key}.class_weight=[{','.join(str(w) for w in weights)}]"
    if args.key == KEY:   # mmseg's own CrossEntropyLoss fails on 255 pixels with class weights
        option = f'{KEY}.type=ClassWeightedCrossEntropyLoss {option}'
    if not args.quiet:
        print(f'\n{"class":<16}{"pixels":>12}{"frequency":>11}{"weight":>9}')
        for n, px, ip, w in zip(names, pixels, image_pixels, weights):
            print(f'{n:<16}{px:>12}{(px / ip if ip else 0):>11.4f}{w:>9.3f}')
    print(option)
    if args.out:
        write_json_atomic(Path(args.out), dict(mask_dir=str(args.mask_dir), classes=names,
                                               pixels=pixels.tolist(), weights=weights, cfg_option=option))
    return weights


if __name__ == '__main__':
    main()
