"""MSRC21Dataset on the real images, and its tags file's errors."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from wsseg.datasets.msrc21 import MSRC21_CLASSES, MSRC21Dataset, read_tags_file
from wsseg.datasets.transforms import LoadImage, LoadMask
from wsseg.registry import DATASETS
from wsseg.utils.io import DataError
from wsseg.weak.base import LoadWeakLabels


def test_msrc21_splits_classes_and_masks(shared_data):
    root = shared_data / 'msrc21'
    train = MSRC21Dataset(str(root), split='train')
    val = DATASETS.build(dict(type='MSRC21Dataset', data_root=str(root), split='val',
                              pipeline=[LoadImage(), LoadMask(),
                                        LoadWeakLabels([dict(type='Tags', simulate=True)])]))
    assert (len(train), len(val)) == (276, 58)
    assert train.metainfo['classes'] == MSRC21_CLASSES and len(train.metainfo['palette']) == 21
    n_tags, void = [], []
    for i in range(0, len(val), 3):
        out = val[i]
        gt = out['gt_seg_map']
        assert gt.shape == out['img'].shape[:2]
        assert set(np.unique(gt).tolist()) <= set(range(21)) | {255}
        tags = out['weak'].tags.tolist()
        assert tags == sorted(set(np.unique(gt).tolist()) - {255})    # tags = classes present
        n_tags.append(len(tags))
        void.append((gt == 255).mean())
    assert 1 <= min(n_tags) and 2.0 < np.mean(n_tags) < 3.5 and max(n_tags) <= 7
    assert 0.05 < np.mean(void) < 0.4                                   # ~20% void


def test_msrc21_tags_file(shared_data, tmp_path):
    root = shared_data / 'msrc21'
    ids = [p.stem for p in sorted((root / 'images' / 'val').glob('*.png'))]
    tags = {i: ['grass', 'cow'] for i in ids}
    (tmp_path / 'tags.json').write_text(json.dumps(tags))
    ds = MSRC21Dataset(str(root), split='val', tags_file=str(tmp_path / 'tags.json'),
                       pipeline=[LoadImage(), LoadWeakLabels([dict(type='Tags')])])
    assert ds[0]['weak'].tags.tolist() == [1, 3]

    tags[ids[2]] = []
    (tmp_path / 'tags.json').write_text(json.dumps(tags))
    with pytest.raises(DataError, match=rf'tags\.json: image {ids[2]!r} has an empty tag set'):
        MSRC21Dataset(str(root), split='val', tags_file=str(tmp_path / 'tags.json'))
    tags[ids[2]] = ['grass', 'horse']          # horse is void in MSRC-21
    (tmp_path / 'tags.json').write_text(json.dumps(tags))
    with pytest.raises(DataError, match=r"tags\.json: image .*\['horse'\] are not classes"):
        MSRC21Dataset(str(root), split='val', tags_file=str(tmp_path / 'tags.json'))
    del tags[ids[2]]
    (tmp_path / 'tags.json').write_text(json.dumps(tags))
    with pytest.raises(DataError, match=rf'no tags for 1 image.*{ids[2]}'):
        MSRC21Dataset(str(root), split='val', tags_file=str(tmp_path / 'tags.json'))


def test_read_tags_file_errors_name_the_file(tmp_path):
    f = tmp_path / 'tags.json'
    f.write_text('{"a": ["grass"], "b": "grass"}')
    with pytest.raises(DataError, match=r"tags\.json: image 'b': tags must be a list"):
        read_tags_file(f, MSRC21_CLASSES)
    f.write_text('["grass"]')
    with pytest.raises(DataError, match=r'tags\.json: expected a JSON object'):
        read_tags_file(f, MSRC21_CLASSES)
    with pytest.raises(DataError, match='tags file not found'):
        read_tags_file(tmp_path / 'none.json', MSRC21_CLASSES)
    assert read_tags_file(_write(f, {'x': ['sky', 'building', 'sky']}), MSRC21_CLASSES) == {'x': [0, 5]}


def test_msrc21_classes_file_must_match(shared_data, tmp_path):
    src = shared_data / 'msrc21'
    root = tmp_path / 'msrc21'
    for sub in ('images', 'masks'):
        (root / sub / 'val').mkdir(parents=True)
        for p in sorted((src / sub / 'val').glob('*.png'))[:2]:
            shutil.copy(p, root / sub / 'val' / p.name)
    (root / 'classes.txt').write_text('\n'.join(reversed(MSRC21_CLASSES)))
    with pytest.raises(DataError, match=r'classes\.txt: names differ'):
        MSRC21Dataset(str(root), split='val')


def _write(path, obj):
    path.write_text(json.dumps(obj))
    return path
