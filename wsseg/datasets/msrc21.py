"""MSRC-21 (MSRC v2 images, cleaned-up labels): ``images/<split>/*.png``, ``masks/<split>/*.png``
(class index, 255 = void, about 20% of pixels), ``classes.txt`` (21 names, one a line).

MSRC-21 has no background class: every labelled pixel is one of the 21 object/stuff classes,
and void (255, including horse and mountain) is left out of training and scoring.

Tags: by default none are read (``Tags(simulate=True)`` derives them from the masks). With
``tags_file``, a JSON object ``{"<img_id>": ["grass", "cow"], ...}`` gives each image its tags by
class name; an image with an empty tag list, a name not in ``classes.txt`` or an image missing
from the file is a :class:`~wsseg.utils.io.DataError` naming the tags file and the image.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from wsseg.datasets.folder import FolderDataset
from wsseg.registry import DATASETS
from wsseg.utils.io import DataError

MSRC21_CLASSES = ('building', 'grass', 'tree', 'cow', 'sheep', 'sky', 'aeroplane', 'water', 'face',
                  'car', 'bicycle', 'flower', 'sign', 'bird', 'book', 'chair', 'road', 'cat', 'dog',
                  'body', 'boat')
# The MSRC-21 colour code (Shotton et al.), in class order.
MSRC21_PALETTE = [[128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128], [0, 128, 128],
                  [128, 128, 128], [192, 0, 0], [64, 128, 0], [192, 128, 0], [64, 0, 128],
                  [192, 0, 128], [64, 128, 128], [192, 128, 128], [0, 64, 0], [128, 64, 0],
                  [0, 192, 0], [128, 64, 128], [0, 192, 128], [128, 192, 128], [64, 64, 0],
                  [192, 64, 0]]


def read_classes_file(path: str | Path) -> tuple[str, ...]:
    """Class names, one a line (blank lines skipped); a DataError names a missing/empty file."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f'{path}: classes file not found')
    names = tuple(line.strip() for line in path.read_text().splitlines() if line.strip())
    if not names:
        raise DataError(f'{path}: classes file is empty')
    if len(set(names)) != len(names):
        raise DataError(f'{path}: repeated class names {sorted(n for n in set(names) if names.count(n) > 1)}')
    return names


def read_tags_file(path: str | Path, classes: Sequence[str]) -> dict[str, list[int]]:
    """``{"<img_id>": [class name, ...]}`` -> ``{img_id: sorted class indices}``.

    A DataError names the file and the image for: unreadable JSON, a value that is not a list,
    an empty tag list, or a name that is not a class.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f'{path}: tags file not found')
    try:
        raw = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise DataError(f'{path}: not valid JSON ({e})') from e
    if not isinstance(raw, dict):
        raise DataError(f'{path}: expected a JSON object {{"<img_id>": ["class", ...]}}, got {type(raw).__name__}')
    index = {c: i for i, c in enumerate(classes)}
    out = {}
    for img_id, names in raw.items():
        if not isinstance(names, list):
            raise DataError(f'{path}: image {img_id!r}: tags must be a list of class names, got {names!r}')
        if not names:
            raise DataError(f'{path}: image {img_id!r} has an empty tag set (every MSRC-21 image shows '
                            'at least one class)')
        unknown = [n for n in names if n not in index]
        if unknown:
            raise DataError(f'{path}: image {img_id!r}: tags {unknown} are not classes of the dataset '
                            f'(classes.txt: {", ".join(classes)})')
        out[str(img_id)] = sorted({index[n] for n in names})
    return out


@DATASETS.register_module()
class MSRC21Dataset(FolderDataset):
    """MSRC-21 train/val split of ``../shared/data/msrc21``.

    Args:
        data_root: the msrc21 folder (holds ``classes.txt``, ``images/``, ``masks/``).
        split: ``'train'`` or ``'val'`` (a sub-folder of images/ and masks/).
        tags_file: optional JSON of tags by class name (see the module doc); relative paths
            are under ``data_root``. Its tags go to the data info key ``tags``, which
            ``Tags()`` (without ``simulate``) reads.
    The names in ``classes.txt`` must be the 21 MSRC-21 classes in order (DataError if not).
    """

    METAINFO = dict(classes=MSRC21_CLASSES, palette=MSRC21_PALETTE)

    def __init__(self, data_root: str = '', split: str | None = 'train',
                 tags_file: str | None = None, **kwargs):
        self.tags_file = None
        if tags_file:
            p = Path(tags_file)
            self.tags_file = p if p.is_absolute() else Path(data_root) / p
        super().__init__(data_root=data_root, split=split, **kwargs)

    def load_data_list(self) -> list[dict]:
        classes_file = Path(self.data_root) / 'classes.txt'
        if classes_file.is_file() and read_classes_file(classes_file) != MSRC21_CLASSES:
            raise DataError(f'{classes_file}: names differ from the MSRC-21 classes {MSRC21_CLASSES}')
        data_list = super().load_data_list()
        if self.tags_file is not None:
            tags = read_tags_file(self.tags_file, self.metainfo['classes'])
            missing = [d['img_id'] for d in data_list if d['img_id'] not in tags]
            if missing:
                raise DataError(f'{self.tags_file}: no tags for {len(missing)} image(s) of '
                                f'{self.img_root}: {missing[:10]}{" ..." if len(missing) > 10 else ""}')
            for d in data_list:
                d['tags'] = tags[d['img_id']]
        return data_list
