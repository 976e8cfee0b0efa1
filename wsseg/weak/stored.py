"""Weak labels on disk: one JSON (+ one scribble PNG) per image, and the source that reads them.

The pipeline's first stage (``tools/run_pipeline.py``) writes every image's weak labels,
read from annotations or simulated from masks, in this one form, so later stages (and any
config) read them back with ``dict(type='StoredWeakLabels', weak_dir=...)``:

- ``<weak_dir>/<img_id>.json``: ``image_size`` (H, W), ``tags``, ``boxes`` (xyxy, 0-based,
  x2/y2 exclusive), ``box_labels``, ``points`` (x, y), ``point_labels``, ``scribbles``
  (the PNG's file name, or null);
- ``<weak_dir>/<img_id>_scribbles.png``: class-index map, 255 = unlabelled.

Writes are atomic (temporary file + rename), the JSON last, so a JSON on disk means the image
is complete.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from wsseg.registry import WEAK_LABELS
from wsseg.structures import IGNORE, WeakLabels
from wsseg.utils.io import DataError, read_mask, write_json_atomic, write_png_atomic

from .base import WeakLabelSource, get_weak


def save_weak_labels(weak: WeakLabels, weak_dir: str | Path, img_id: str) -> Path:
    """Write ``weak`` as ``<img_id>.json`` (+ ``<img_id>_scribbles.png``); returns the JSON path."""
    weak_dir = Path(weak_dir)
    scribbles = None
    if weak.scribbles is not None and (weak.scribbles != IGNORE).any():
        scribbles = f'{img_id}_scribbles.png'
        write_png_atomic(weak_dir / scribbles, weak.scribbles)
    record = dict(image_size=list(weak.image_size), tags=weak.tags.tolist(),
                  boxes=weak.boxes.tolist(), box_labels=weak.box_labels.tolist(),
                  points=weak.points.tolist(), point_labels=weak.point_labels.tolist(),
                  scribbles=scribbles)
    path = weak_dir / f'{img_id}.json'
    write_json_atomic(path, record)
    return path


def load_weak_labels(weak_dir: str | Path, img_id: str) -> WeakLabels:
    """Read what :func:`save_weak_labels` wrote; errors name the file."""
    path = Path(weak_dir) / f'{img_id}.json'
    if not path.is_file():
        raise DataError(f'{path}: no stored weak labels for image {img_id!r}')
    try:
        rec = json.loads(path.read_text())
        h, w = (int(v) for v in rec['image_size'])
    except (ValueError, KeyError, TypeError) as e:
        raise DataError(f'{path}: not a weak-label record ({e})') from e
    scribbles = None
    if rec.get('scribbles'):
        scribbles = read_mask(path.parent / rec['scribbles'], shape=(h, w))
    return WeakLabels(image_size=(h, w), tags=rec.get('tags', []), boxes=rec.get('boxes', []),
                      box_labels=rec.get('box_labels', []), points=rec.get('points', []),
                      point_labels=rec.get('point_labels', []), scribbles=scribbles,
                      source=str(path))


@WEAK_LABELS.register_module()
class StoredWeakLabels(WeakLabelSource):
    """Adds the weak labels stored for this image in ``weak_dir`` (see the module docstring).

    ``kinds`` limits what is taken (e.g. ``('boxes', 'scribbles')``); default: everything.
    The stored frame must match the loaded image, else a DataError names both.
    """

    kind = 'stored'
    KINDS = ('tags', 'boxes', 'scribbles', 'points')

    def __init__(self, weak_dir: str, kinds: tuple[str, ...] | list[str] | None = None):
        super().__init__(simulate=False)
        self.weak_dir = Path(weak_dir)
        self.kinds = tuple(kinds or self.KINDS)
        unknown = set(self.kinds) - set(self.KINDS)
        if unknown:
            raise ValueError(f'StoredWeakLabels: unknown kinds {sorted(unknown)}; expected {self.KINDS}')

    def __call__(self, results: dict) -> None:
        img_id = results.get('img_id') or Path(results['img_path']).stem
        stored = load_weak_labels(self.weak_dir, img_id)
        classes = results.get('classes') or ()
        stored.validate(len(classes) if classes else IGNORE)     # errors name the JSON file
        weak = get_weak(results)
        if stored.image_size != weak.image_size:
            raise DataError(f'{stored.source}: weak labels are {stored.image_size[1]}x{stored.image_size[0]} '
                            f"but the image {results.get('img_path')} is "
                            f'{weak.image_size[1]}x{weak.image_size[0]}')
        if 'tags' in self.kinds:
            weak.tags = np.unique(np.concatenate([weak.tags, stored.tags]))
        if 'boxes' in self.kinds:
            weak.add_boxes(stored.boxes, stored.box_labels)
        if 'points' in self.kinds:
            weak.points = np.concatenate([weak.points, stored.points])
            weak.point_labels = np.concatenate([weak.point_labels, stored.point_labels])
        if 'scribbles' in self.kinds and stored.scribbles is not None:
            scr = stored.scribbles
            if weak.scribbles is not None:
                scr = np.where(scr != IGNORE, scr, weak.scribbles).astype(np.uint8)
            weak.scribbles = scr
        self.validate(results)
