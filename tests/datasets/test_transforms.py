"""RandomResize, the multi-scale training step of the CAM classifiers, on a real MSRC-21 image."""
from __future__ import annotations

import numpy as np
import pytest

from wsseg.datasets.transforms import LoadImage, LoadMask, RandomResize, Resize


def _load(shared_data) -> dict:
    root = shared_data / 'msrc21'
    img = sorted((root / 'images' / 'train').glob('*.png'))[0]
    results = dict(img_path=str(img), seg_map_path=str(root / 'masks' / 'train' / img.name),
                   classes=tuple((root / 'classes.txt').read_text().split()))
    return LoadMask()(LoadImage()(results))


def test_random_resize_draws_the_short_side_from_its_range(shared_data):
    first = _load(shared_data)
    h, w = first['img'].shape[:2]
    classes = set(np.unique(first['gt_seg_map']))
    np.random.seed(0)
    sides = []
    for _ in range(40):
        out = RandomResize(short_side=(64, 192))(_load(shared_data))
        oh, ow = out['img'].shape[:2]
        side = min(oh, ow)
        sides.append(side)
        assert 64 <= side <= 192
        assert out['img_shape'] == (oh, ow) == out['gt_seg_map'].shape
        assert abs(oh / ow - h / w) < 0.02                  # aspect ratio kept
        assert set(np.unique(out['gt_seg_map'])) <= classes  # nearest: no class invented
    assert len(set(sides)) > 10 and min(sides) < 96 and max(sides) > 160


def test_random_resize_with_one_size_equals_resize(shared_data):
    a = RandomResize(short_side=(128, 128))(_load(shared_data))
    b = Resize(short_side=128)(_load(shared_data))
    assert np.array_equal(a['img'], b['img']) and np.array_equal(a['gt_seg_map'], b['gt_seg_map'])


@pytest.mark.parametrize('bad', [(0, 10), (160, 96), (-5, 5)])
def test_random_resize_rejects_a_bad_range(bad):
    with pytest.raises(ValueError, match='RandomResize: short_side'):
        RandomResize(short_side=bad)
