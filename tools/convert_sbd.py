"""Build VOC 2012's SBD-augmented masks and the train_aug list from the SBD release.

    python tools/convert_sbd.py SBD_ROOT VOC2012_ROOT

``SBD_ROOT`` is the extracted ``benchmark_RELEASE/dataset`` folder of the Semantic Boundaries
Dataset (Hariharan et al. 2011; ``benchmark.tgz`` from the SBD page,
http://home.bharathh.info/pubs/codes/SBD/download.html): ``cls/<id>.mat`` (``GTcls.Segmentation``,
class indices 0..20) and ``train.txt`` / ``val.txt``. Writes, under ``VOC2012_ROOT``:

- ``SegmentationClassAug/<id>.png``: every SBD mask as a class-index PNG, plus VOC's own
  ``SegmentationClass/<id>.png`` for the images SBD lacks (VOC's masks win where both exist,
  and keep their 255 = void borders);
- ``ImageSets/Segmentation/train_aug.txt``: (SBD train + SBD val + VOC train) minus VOC val,
  10,582 ids for the full releases.

Writes are atomic and finished files are skipped, so an interrupted run resumes.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from tqdm import tqdm  # noqa: E402

from wsseg.utils.io import DataError, read_mask, write_png_atomic  # noqa: E402


def read_ids(path: Path) -> list[str]:
    if not path.is_file():
        raise DataError(f'{path}: list file not found')
    return [line.split()[0] for line in path.read_text().splitlines() if line.strip()]


def read_sbd_mask(path: Path) -> np.ndarray:
    """``GTcls.Segmentation`` of an SBD ``cls/<id>.mat`` as uint8 (H, W)."""
    from scipy.io import loadmat
    try:
        gt = loadmat(str(path), squeeze_me=True, struct_as_record=False)['GTcls']
        mask = np.asarray(gt.Segmentation)
    except (KeyError, AttributeError, ValueError, OSError) as e:
        raise DataError(f'{path}: not an SBD class file with GTcls.Segmentation ({e})') from e
    if mask.ndim != 2 or mask.size == 0 or (mask[mask != 255] > 20).any():
        raise DataError(f'{path}: GTcls.Segmentation must be a 2-D map of classes 0..20, '
                        f'got shape {mask.shape}, values {np.unique(mask)[:8].tolist()}')
    return mask.astype(np.uint8)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('sbd_root', type=Path, help='benchmark_RELEASE/dataset')
    p.add_argument('voc_root', type=Path, help='VOCdevkit/VOC2012')
    args = p.parse_args(argv)
    cls_dir, voc = args.sbd_root / 'cls', args.voc_root
    if not cls_dir.is_dir():
        raise DataError(f'{cls_dir}: SBD class folder not found (expected benchmark_RELEASE/dataset/cls)')
    lists = voc / 'ImageSets' / 'Segmentation'
    sbd_ids = read_ids(args.sbd_root / 'train.txt') + read_ids(args.sbd_root / 'val.txt')
    voc_train, voc_val = read_ids(lists / 'train.txt'), read_ids(lists / 'val.txt')
    out = voc / 'SegmentationClassAug'
    voc_masks = voc / 'SegmentationClass'
    written = skipped = 0
    for i in tqdm(sorted(set(sbd_ids) | set(voc_train) | set(voc_val)), desc='SegmentationClassAug'):
        target = out / f'{i}.png'
        if target.is_file():
            skipped += 1
            continue
        if (voc_masks / f'{i}.png').is_file():
            mask = read_mask(voc_masks / f'{i}.png')
        elif (cls_dir / f'{i}.mat').is_file():
            mask = read_sbd_mask(cls_dir / f'{i}.mat')
        else:
            raise DataError(f'{i}: listed but has neither {voc_masks / (i + ".png")} nor '
                            f'{cls_dir / (i + ".mat")}')
        write_png_atomic(target, mask)
        written += 1
    val = set(voc_val)
    train_aug = sorted((set(sbd_ids) | set(voc_train)) - val)
    lists.mkdir(parents=True, exist_ok=True)
    (lists / 'train_aug.txt').write_text('\n'.join(train_aug) + '\n')
    print(f'{written} masks written, {skipped} already there -> {out}; '
          f'train_aug: {len(train_aug)} ids -> {lists / "train_aug.txt"}')
    return dict(written=written, skipped=skipped, train_aug=len(train_aug))


if __name__ == '__main__':
    try:
        main()
    except DataError as e:
        sys.exit(f'error: {e}')
