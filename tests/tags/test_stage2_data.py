"""A pseudo-mask folder that misses train images: the error lists them, or skip leaves them out."""
from __future__ import annotations

import numpy as np
import pytest

from wsseg.datasets.transforms import LoadImage
from wsseg.stage2.pseudo_masks import PseudoMaskFolder, check_pseudo_masks
from wsseg.utils.io import DataError, write_png_atomic


def _pseudo_folder(shared_data, tmp_path, drop: int):
    root = shared_data / 'msrc21'
    ids = sorted(p.stem for p in (root / 'images' / 'val').glob('*.png'))
    for i in ids[drop:]:
        write_png_atomic(tmp_path / 'pseudo' / f'{i}.png', np.full((213, 320), 255, np.uint8))
    return root, ids


def test_missing_pseudo_masks_are_listed_or_skipped(shared_data, tmp_path):
    root, ids = _pseudo_folder(shared_data, tmp_path, drop=3)
    kw = dict(pseudo_mask_dir=str(tmp_path / 'pseudo'), data_root=str(root), split='val',
              classes=[str(i) for i in range(21)])
    with pytest.raises(DataError, match=rf"pseudo: no pseudo-mask for 3 of 58 train images .*{ids[0]}, {ids[1]}, {ids[2]}\."):
        PseudoMaskFolder(**kw)
    ds = PseudoMaskFolder(bad_data='skip', pipeline=[LoadImage()], **kw)
    assert len(ds) == 55 and ds.missing_ids == ids[:3]
    assert ds.get_data_info(0)['seg_map_path'].endswith(f'pseudo/{ids[3]}.png')


def test_check_pseudo_masks_folder_errors(tmp_path):
    with pytest.raises(DataError, match='pseudo-mask folder not found'):
        check_pseudo_masks(['a'], tmp_path / 'none')
    (tmp_path / 'm').mkdir()
    with pytest.raises(DataError, match=r'no pseudo-mask for 2 of 2 train images'):
        check_pseudo_masks(['a', 'b'], tmp_path / 'm', bad_data='skip')     # nothing left to train on
    with pytest.raises(ValueError, match='bad_data'):
        check_pseudo_masks(['a'], tmp_path / 'm', bad_data='ignore')
