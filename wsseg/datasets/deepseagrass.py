"""DeepSeagrass: whole frames with image-level labels, and labelled patches.

Both read ``<root>/<Class>/<file>``: the folder name is the label. Frames are the 4624x2600
JPEGs (``SeparatedIntoClasses/Images/<Class>/*.JPG``); patches are 578x520 crops named
``Image<N>_Row<r>_Col<c>.jpg`` (or ``.png``). Names starting with ``.`` or ``_`` (macOS
resource files) are skipped, as in the reference loaders.
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Sequence

from wsseg.datasets.base import WeakSegDataset
from wsseg.registry import DATASETS
from wsseg.utils.io import DataError

CLASS_ORDERS = {
    'csiro': ('Strappy', 'Ferny', 'Rounded', 'Background'),         # csiro-robotics/deepseagrass
    'alphabetical': ('Background', 'Ferny', 'Rounded', 'Strappy'),  # sgraine/bag-of-seagrass
}
COLOURS = {'Strappy': (255, 165, 0), 'Ferny': (255, 0, 0), 'Rounded': (0, 0, 255),
           'Background': (255, 20, 147)}
PATCH_NAME = re.compile(r'^(Image\d+)_Row(\d+)_Col(\d+)$')


def resolve_classes(class_order: str | Sequence[str]) -> tuple[str, ...]:
    """Class names for ``'csiro'``, ``'alphabetical'`` or an explicit list of folder names."""
    if isinstance(class_order, str):
        if class_order not in CLASS_ORDERS:
            raise ValueError(f'class_order={class_order!r}: expected one of {sorted(CLASS_ORDERS)} '
                             'or a list of class names')
        return CLASS_ORDERS[class_order]
    classes = tuple(class_order)
    if not classes or len(set(classes)) != len(classes):
        raise ValueError(f'class_order={classes!r}: give distinct class names')
    return classes


def _visible(p: Path) -> bool:
    return not p.name.startswith(('.', '_'))


class _ClassFolders(WeakSegDataset):
    """Shared reader of ``<root>/<Class>/*``; subclasses set the label key and suffixes."""

    LABEL_KEY = ''
    SUFFIXES: tuple[str, ...] = ()

    def __init__(self, data_root: str = '', split: str | None = None,
                 class_order: str | Sequence[str] = 'csiro', pipeline: list | None = None,
                 mask_dir: str | None = None, **kwargs):
        classes = resolve_classes(class_order)
        self.mask_dir = None if mask_dir is None else Path(mask_dir)
        palette = [list(COLOURS.get(c, (128, 128, 128))) for c in classes]
        metainfo = {'classes': classes, 'palette': palette, **(kwargs.pop('metainfo', None) or {})}
        self.folder = Path(data_root) / split if split else Path(data_root)
        super().__init__(data_root=data_root, metainfo=metainfo, pipeline=pipeline or [],
                         **kwargs)

    def describe(self) -> str:
        return f'{type(self).__name__}(root={str(self.folder)!r})'

    def extra_keys(self, path: Path) -> dict:
        return {}

    def _mask_of(self, img: Path) -> str | None:
        """``<mask_dir>/<stem>.png`` (pixel truth, where it exists), else None."""
        if self.mask_dir is None:
            return None
        mask = self.mask_dir / f'{img.stem}.png'
        if not mask.is_file():
            raise DataError(f'{img}: mask {mask} not found (mask_dir={str(self.mask_dir)!r})')
        return str(mask)

    def load_data_list(self) -> list[dict]:
        root = self.folder
        if not root.is_dir():
            raise DataError(f'{root}: DeepSeagrass folder not found')
        classes = tuple(self.metainfo['classes'])
        lower = {c.lower(): i for i, c in enumerate(classes)}
        folders = sorted(p for p in root.iterdir() if p.is_dir() and _visible(p))
        unknown = [p.name for p in folders if p.name.lower() not in lower]
        if unknown:
            raise DataError(f'{root}: unknown class folder(s) {unknown}; expected folders named '
                            f'{list(classes)}')
        data_list = []
        for folder in folders:
            label = lower[folder.name.lower()]
            files = sorted(p for p in folder.iterdir() if p.is_file() and _visible(p)
                           and p.suffix.lower() in self.SUFFIXES)
            if not files:
                warnings.warn(f'{folder}: class folder {folder.name!r} holds no image', stacklevel=2)
            for f in files:
                info = dict(img_path=str(f), img_id=f.stem, seg_map_path=self._mask_of(f),
                            tags=[label], **{self.LABEL_KEY: label}, **self.extra_keys(f))
                data_list.append(self.parse_data_info(info))
        if not data_list:
            raise DataError(f'{root}: no image in any class folder (expected '
                            f'<root>/<Class>/*{"|*".join(self.SUFFIXES)} with classes {list(classes)})')
        return data_list


@DATASETS.register_module()
class DeepSeagrassFrames(_ClassFolders):
    """Whole frames (``*.JPG`` / ``*.jpg``) with the folder name as ``image_label`` (and tag).

    Args:
        data_root: the folder holding the class folders (e.g. ``.../SeparatedIntoClasses/Images``).
        split: optional sub-folder of ``data_root``.
        class_order: ``'csiro'`` (Strappy, Ferny, Rounded, Background; default),
            ``'alphabetical'`` (Background, Ferny, Rounded, Strappy) or a list of names.
        mask_dir: optional folder of pixel masks ``<stem>.png`` (class indices); the real
            DeepSeagrass has none, the synthetic frames do (``pixel_masks/``).
    """

    LABEL_KEY = 'image_label'
    SUFFIXES = ('.jpg', '.jpeg')


@DATASETS.register_module()
class DeepSeagrassPatches(_ClassFolders):
    """Patches (``*.jpg`` / ``*.png``) with the folder name as ``patch_label`` (and tag).

    Names ``Image<N>_Row<r>_Col<c>`` also give ``frame_id`` (``'Image<N>'``), ``row``, ``col``.
    ``split`` picks e.g. ``Train`` / ``Validate`` / ``Test`` under ``data_root``.
    """

    LABEL_KEY = 'patch_label'
    SUFFIXES = ('.jpg', '.jpeg', '.png')

    def extra_keys(self, path: Path) -> dict:
        m = PATCH_NAME.match(path.stem)
        if m is None:
            return {}
        return dict(frame_id=m.group(1), row=int(m.group(2)), col=int(m.group(3)))
