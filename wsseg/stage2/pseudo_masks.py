"""A pseudo-mask folder as a training split: every train image needs its mask.

A pseudo-labeller that stopped early, skipped bad images or wrote into another folder leaves
train images without a mask. :func:`check_pseudo_masks` finds all of them at once: with
``bad_data='stop'`` the :class:`~wsseg.utils.io.DataError` names the folder and lists the
missing ids; with ``bad_data='skip'`` those images are left out of the split, a warning lists
them, and the dataset keeps them in ``missing_ids``.

:class:`PseudoMaskFolder` is the wsseg dataset (for wsseg networks, e.g. the partial CE + CRF
loss second stage); ``wsseg.stage2.mmseg_data`` registers the same check for mmseg's
``BaseSegDataset`` (the mmseg DeepLabV3+ / Mask2Former second stage).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Sequence

from mmengine.logging import print_log

from wsseg.datasets.base import check_bad_data_policy
from wsseg.datasets.folder import FolderDataset
from wsseg.registry import DATASETS
from wsseg.utils.io import DataError


def check_pseudo_masks(img_ids: Sequence[str], mask_dir: str | Path, suffix: str = '.png',
                       bad_data: str = 'stop', where: str = 'pseudo-masks') -> list[str]:
    """The ids of ``img_ids`` without ``<mask_dir>/<id><suffix>``.

    ``bad_data='stop'``: a DataError naming ``mask_dir`` and listing them when any is missing
    (or when the folder does not exist). ``'skip'``: a warning listing them; returns them.
    """
    check_bad_data_policy(bad_data, where)
    mask_dir = Path(mask_dir)
    if not mask_dir.is_dir():
        raise DataError(f'{mask_dir}: pseudo-mask folder not found ({where})')
    have = {p.name for p in mask_dir.iterdir()}
    missing = [i for i in img_ids if f'{i}{suffix}' not in have]
    if not missing:
        return []
    listed = ', '.join(missing[:20]) + (f' ... ({len(missing)} in all)' if len(missing) > 20 else '')
    if bad_data == 'stop' or len(missing) == len(img_ids):
        raise DataError(f'{mask_dir}: no pseudo-mask for {len(missing)} of {len(img_ids)} train images '
                        f'({where}): {listed}. Finish the pseudo-labelling, or set bad_data=\'skip\' '
                        'to train without them')
    print_log(f'bad_data=skip: {mask_dir} has no pseudo-mask for {len(missing)} of {len(img_ids)} '
              f'train images, left out: {listed}', logger='current', level=logging.WARNING)
    return missing


@DATASETS.register_module()
class PseudoMaskFolder(FolderDataset):
    """Images of ``<data_root>/<img_dir>/<split>`` with their masks in ``pseudo_mask_dir``
    (pseudo-masks, 255 = undecided), checked by :func:`check_pseudo_masks` (``bad_data``).

    Class names as for :class:`FolderDataset` (``classes=`` or ``metainfo``).
    """

    def __init__(self, pseudo_mask_dir: str, data_root: str = '', split: str | None = 'train',
                 img_dir: str = 'images', **kwargs):
        self.pseudo_mask_dir = Path(pseudo_mask_dir)
        self.missing_ids: list[str] = []
        super().__init__(data_root=data_root, split=split, img_dir=img_dir, mask_dir=None, **kwargs)

    def describe(self) -> str:
        return f'{type(self).__name__}(images={str(self.img_root)!r}, masks={str(self.pseudo_mask_dir)!r})'

    def load_data_list(self) -> list[dict]:
        data_list = super().load_data_list()           # images only (mask_dir=None)
        ids = [d['img_id'] for d in data_list]
        self.missing_ids = check_pseudo_masks(ids, self.pseudo_mask_dir, self.mask_suffix,
                                              self.bad_data, self.describe())
        gone = set(self.missing_ids)
        out = []
        for d in data_list:
            if d['img_id'] not in gone:
                d['seg_map_path'] = str(self.pseudo_mask_dir / f"{d['img_id']}{self.mask_suffix}")
                out.append(d)
        return out

