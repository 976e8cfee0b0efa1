"""Score a folder of predicted (or pseudo-) masks against a folder of ground-truth masks.

``python tools/eval_masks.py PRED_DIR GT_DIR [--num-classes K | --classes a,b,c]
[--ignore-index 255] [--out DIR] [--allow-missing] [--bad-data skip] [--html DIR [--images DIR] [--weak DIR]]``

Files are matched by stem (``a.png`` <-> ``a.png``/``a.bmp``...). Ground-truth pixels equal to
the ignore index are not scored; prediction pixels equal to it (undecided pixels of a
pseudo-mask) are not scored either, and their share is reported as the labelled fraction
(share of non-ignore pixels in the predictions). Prints a per-class table and writes
``confusion.png`` and ``metrics.json`` (scores in percent) to ``--out`` (default
``PRED_DIR/../eval``). Without ``--num-classes``/``--classes`` a ``classes.txt`` beside or above
GT_DIR is used. ``--bad-data skip`` leaves out an image whose prediction or ground truth
cannot be read (or whose sizes differ): the metric is that of the other images, and the file is
printed and listed under ``skipped_bad`` in metrics.json (``num_images`` counts those scored). ``--html DIR`` also writes the HTML report there (``index.html``: sortable
per-class table, confusion matrix, gallery worst image first; wsseg/visualization/report.py),
with the images of ``--images`` and the weak-label maps (255 = unlabelled) of ``--weak`` in its
gallery when given (matched by stem).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from tqdm import tqdm  # noqa: E402

from wsseg.evaluation.confusion import confusion_matrix, mask_report, print_report  # noqa: E402
from wsseg.utils.io import DataError, read_image, read_mask, tolerant_console  # noqa: E402
from wsseg.visualization.report import MaskReport  # noqa: E402
from wsseg.visualization.plots import plot_confusion  # noqa: E402

MASK_EXTS = ('.png', '.bmp', '.tif', '.tiff')
IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff')


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('pred_dir', type=Path)
    p.add_argument('gt_dir', type=Path)
    g = p.add_mutually_exclusive_group()
    g.add_argument('--num-classes', type=int)
    g.add_argument('--classes', help='comma-separated class names, in index order')
    p.add_argument('--ignore-index', type=int, default=255)
    p.add_argument('--out', type=Path, help='output folder (default PRED_DIR/../eval)')
    p.add_argument('--allow-missing', action='store_true',
                   help='report and skip files without a counterpart instead of failing')
    p.add_argument('--bad-data', choices=['stop', 'skip'], default='stop',
                   help='skip: leave out an image whose prediction or ground truth cannot be read '
                        '(listed in metrics.json and printed) instead of stopping')
    p.add_argument('--no-progress', action='store_true')
    p.add_argument('--html', type=Path, help='also write the HTML report (index.html) into this folder')
    p.add_argument('--images', type=Path, help='images by stem, for the report\'s gallery')
    p.add_argument('--weak', type=Path, help='weak-label maps by stem (255 = unlabelled), for the gallery')
    return p.parse_args(argv)


def list_masks(folder: Path) -> dict[str, Path]:
    """Mask files of ``folder`` by stem; two files with one stem is a DataError."""
    if not folder.is_dir():
        raise DataError(f'{folder}: mask folder not found')
    out: dict[str, Path] = {}
    for f in sorted(folder.iterdir()):
        if f.suffix.lower() in MASK_EXTS and f.is_file() and not f.name.startswith('.'):
            if f.stem in out:
                raise DataError(f'{f}: two masks share the stem {f.stem!r} ({out[f.stem].name})')
            out[f.stem] = f
    return out


def resolve_classes(args) -> list[str]:
    if args.classes:
        return [c.strip() for c in args.classes.split(',') if c.strip()]
    if args.num_classes:
        return [str(i) for i in range(args.num_classes)]
    for d in (args.gt_dir, args.gt_dir.parent, args.gt_dir.parent.parent):
        f = d / 'classes.txt'
        if f.is_file():
            names = [ln.strip() for ln in f.read_text().splitlines() if ln.strip()]
            if names:
                return names
    raise ValueError('eval_masks: give --num-classes or --classes (no classes.txt found beside or '
                     f'above {args.gt_dir})')


def match(pred: dict[str, Path], gt: dict[str, Path], allow_missing: bool) -> tuple[list[str], dict]:
    """Stems present in both, and the files without a counterpart (DataError unless allowed)."""
    no_gt = sorted(set(pred) - set(gt))
    no_pred = sorted(set(gt) - set(pred))
    missing = {'no_ground_truth': [str(pred[s]) for s in no_gt],
               'no_prediction': [str(gt[s]) for s in no_pred]}
    if (no_gt or no_pred) and not allow_missing:
        parts = []
        if no_gt:
            parts.append(f'{len(no_gt)} prediction(s) without ground truth, e.g. {pred[no_gt[0]]}')
        if no_pred:
            parts.append(f'{len(no_pred)} ground-truth mask(s) without prediction, e.g. {gt[no_pred[0]]}')
        raise DataError('; '.join(parts) + ' (use --allow-missing to skip them)')
    return sorted(set(pred) & set(gt)), missing


def read_pair(pred_file: Path, gt_file: Path, k: int, ignore_index: int
              ) -> tuple[np.ndarray, np.ndarray]:
    """A prediction and its ground truth, checked (DataError naming the file)."""
    gt = read_mask(gt_file, num_classes=k, ignore_index=ignore_index)
    pred = read_mask(pred_file, num_classes=k, ignore_index=ignore_index)
    if pred.shape != gt.shape:
        raise DataError(f'{pred_file}: prediction size {pred.shape[1]}x{pred.shape[0]} (WxH) '
                        f'differs from its ground truth {gt_file} ({gt.shape[1]}x{gt.shape[0]})')
    return pred, gt


def main(argv=None) -> dict:
    args = parse_args(argv)
    tolerant_console()          # any file name prints, UTF-8 or not
    classes = resolve_classes(args)
    k = len(classes)
    pred_files, gt_files = list_masks(args.pred_dir), list_masks(args.gt_dir)
    if not pred_files:
        raise DataError(f'{args.pred_dir}: no mask files ({", ".join(MASK_EXTS)}) found')
    stems, missing = match(pred_files, gt_files, args.allow_missing)
    if not stems:
        raise DataError(f'{args.pred_dir}: no file stem is shared with the ground truth in {args.gt_dir}')
    for key, files in missing.items():
        for f in files:
            print(f'skipped ({key.replace("_", " ")}): {f}')
    report = html_report(args, classes, missing) if args.html else None
    images = list_images(args.images) if report is not None and args.images else {}
    weak = list_masks(args.weak) if report is not None and args.weak else {}
    cm = np.zeros((k, k), np.int64)
    labelled = total = 0
    bad: list[dict] = []
    for stem in tqdm(stems, desc='eval_masks', disable=args.no_progress, file=sys.stderr):
        try:
            pred, gt = read_pair(pred_files[stem], gt_files[stem], k, args.ignore_index)
        except DataError as e:
            if args.bad_data == 'stop':
                raise
            bad.append(dict(file=str(pred_files[stem]) if str(pred_files[stem]) in str(e)
                            else str(gt_files[stem]), error=str(e)))
            print(f"skipped (bad data): {bad[-1]['file']}: {e}")
            if report is not None:
                report.skip(stem, 'bad data')
            continue
        cm += confusion_matrix(pred, gt, k, args.ignore_index)
        if report is not None:
            report.add(stem, pred, gt, image=read_image(images[stem]) if stem in images else None,
                       weak=read_mask(weak[stem]) if stem in weak else None)
        labelled += int((pred != args.ignore_index).sum())
        total += pred.size
    scored = len(stems) - len(bad)
    if not scored:
        raise DataError(f'{args.pred_dir}: no image could be scored ({len(bad)} skipped as bad data)')
    result = mask_report(cm, classes, labelled, total, num_images=scored,
                         ignore_index=args.ignore_index, missing=missing, skipped_bad=bad,
                         pred_dir=str(args.pred_dir), gt_dir=str(args.gt_dir))
    print(print_report(result) + f'  ({scored} images scored'
          + (f', {len(bad)} skipped as bad data, listed in metrics.json)' if bad else ')'))
    out = args.out or (args.pred_dir.resolve().parent / 'eval')
    out.mkdir(parents=True, exist_ok=True)
    (out / 'metrics.json').write_text(json.dumps(result, indent=1))
    plot_confusion(cm, classes, out / 'confusion.png')
    print(f'wrote {out / "metrics.json"} and {out / "confusion.png"}')
    if report is not None:
        print(f'report: {report.write(args.html, config={k_: str(v) for k_, v in vars(args).items()})}')
    return result


def list_images(folder: Path) -> dict[str, Path]:
    """Image files of ``folder`` by stem (for the report's gallery)."""
    if not folder.is_dir():
        raise DataError(f'{folder}: image folder not found')
    return {f.stem: f for f in sorted(folder.iterdir())
            if f.suffix.lower() in IMAGE_EXTS and f.is_file() and not f.name.startswith('.')}


def html_report(args, classes: list[str], missing: dict) -> MaskReport:
    """The report's builder, with the files left out already recorded."""
    report = MaskReport(classes, ignore_index=args.ignore_index, title=f'masks of {args.pred_dir}')
    for key, files in missing.items():
        for f in files:
            report.skip(Path(f).stem, key.replace('_', ' '))
    return report


if __name__ == '__main__':
    try:
        main()
    except DataError as e:
        sys.exit(f'error: {e}')
