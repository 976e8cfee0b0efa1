"""tools/convert_sbd.py: SBD .mat masks -> SegmentationClassAug PNGs and the train_aug list."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.io import savemat

from tools.convert_sbd import main as convert
from wsseg.utils.io import DataError, read_mask, write_png_atomic


def sbd_mat(path, mask):
    path.parent.mkdir(parents=True, exist_ok=True)
    savemat(str(path), {'GTcls': {'Segmentation': mask, 'Boundaries': np.zeros(1),
                                  'CategoriesPresent': np.unique(mask[mask > 0])}})


def test_converts_lists_and_resumes(tmp_path):
    sbd, voc = tmp_path / 'dataset', tmp_path / 'VOC2012'
    rng = np.random.default_rng(0)
    masks = {i: rng.integers(0, 21, (7, 9)).astype(np.uint8) for i in ('a', 'b', 'c', 'v')}
    for i in ('a', 'b', 'c', 'v'):
        sbd_mat(sbd / 'cls' / f'{i}.mat', masks[i])
    (sbd / 'train.txt').write_text('a\nb\n')
    (sbd / 'val.txt').write_text('c\nv\n')             # v is in VOC val: never in train_aug
    lists = voc / 'ImageSets/Segmentation'
    lists.mkdir(parents=True)
    (lists / 'train.txt').write_text('d\n')
    (lists / 'val.txt').write_text('v\n')
    voc_mask = np.full((5, 5), 255, np.uint8)
    voc_mask[1:4, 1:4] = 7
    write_png_atomic(voc / 'SegmentationClass/d.png', voc_mask)
    write_png_atomic(voc / 'SegmentationClass/v.png', voc_mask)
    out = convert([str(sbd), str(voc)])
    assert out == dict(written=5, skipped=0, train_aug=4)
    assert (lists / 'train_aug.txt').read_text().split() == ['a', 'b', 'c', 'd']
    for i in ('a', 'b', 'c'):
        assert np.array_equal(read_mask(voc / f'SegmentationClassAug/{i}.png'), masks[i])
    # VOC's own mask (with its 255 borders) wins over SBD's for an image in both
    assert np.array_equal(read_mask(voc / 'SegmentationClassAug/v.png'), voc_mask)
    assert convert([str(sbd), str(voc)]) == dict(written=0, skipped=5, train_aug=4)


def test_bad_sbd_input_is_named(tmp_path):
    sbd, voc = tmp_path / 'dataset', tmp_path / 'VOC2012'
    with pytest.raises(DataError, match='cls: SBD class folder not found'):
        convert([str(sbd), str(voc)])
    sbd_mat(sbd / 'cls' / 'a.mat', np.full((4, 4), 30, np.uint8))
    (sbd / 'train.txt').write_text('a\n')
    (sbd / 'val.txt').write_text('')
    (voc / 'ImageSets/Segmentation').mkdir(parents=True)
    (voc / 'ImageSets/Segmentation/train.txt').write_text('')
    with pytest.raises(DataError, match='val.txt: list file not found'):
        convert([str(sbd), str(voc)])
    (voc / 'ImageSets/Segmentation/val.txt').write_text('')
    with pytest.raises(DataError, match=r'a\.mat: GTcls.Segmentation must be a 2-D map of classes 0\.\.20'):
        convert([str(sbd), str(voc)])
    (sbd / 'train.txt').write_text('zz\n')
    with pytest.raises(DataError, match='zz: listed but has neither'):
        convert([str(sbd), str(voc)])
