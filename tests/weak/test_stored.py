"""Weak labels written to disk and read back by the StoredWeakLabels source."""
from __future__ import annotations

import json

import numpy as np
import pytest

from wsseg.registry import TRANSFORMS
from wsseg.structures import WeakLabels
from wsseg.utils.io import DataError
from wsseg.weak import load_weak_labels, save_weak_labels


def sample_weak() -> WeakLabels:
    scr = np.full((12, 16), 255, np.uint8)
    scr[2, 3:9] = 1
    scr[9, 1:14] = 0
    return WeakLabels(image_size=(12, 16), tags=[0, 1, 2], boxes=[[1.5, 2, 9, 11]], box_labels=[2],
                      scribbles=scr, points=[[4, 5], [15, 11]], point_labels=[1, 2])


def test_round_trip_keeps_every_field(tmp_path):
    weak = sample_weak()
    path = save_weak_labels(weak, tmp_path, 'img_a')
    assert path == tmp_path / 'img_a.json' and (tmp_path / 'img_a_scribbles.png').is_file()
    back = load_weak_labels(tmp_path, 'img_a')
    assert back.image_size == weak.image_size
    for name in ('tags', 'boxes', 'box_labels', 'points', 'point_labels', 'scribbles'):
        np.testing.assert_array_equal(getattr(back, name), getattr(weak, name), err_msg=name)
    assert back.source == str(path)
    assert not list(tmp_path.glob('.*.tmp'))                   # atomic writes leave nothing behind


def test_source_in_a_pipeline_merges_and_filters(tmp_path):
    save_weak_labels(sample_weak(), tmp_path, 'img_a')
    results = dict(img_id='img_a', img_path='img_a.jpg', img_shape=(12, 16), classes=('a', 'b', 'c'))
    t = TRANSFORMS.build(dict(type='LoadWeakLabels', sources=[
        dict(type='StoredWeakLabels', weak_dir=str(tmp_path), kinds=['boxes', 'scribbles'])]))
    weak = t(results)['weak']
    assert len(weak.boxes) == 1 and weak.box_labels.tolist() == [2]
    assert weak.scribbles is not None and (weak.scribbles != 255).sum() == 6 + 13
    assert len(weak.points) == 0 and len(weak.tags) == 0     # not asked for


def test_bad_stored_labels_name_the_file(tmp_path):
    save_weak_labels(sample_weak(), tmp_path, 'img_a')
    t = TRANSFORMS.build(dict(type='LoadWeakLabels', sources=[
        dict(type='StoredWeakLabels', weak_dir=str(tmp_path))]))
    with pytest.raises(DataError, match=r'img_a\.json: weak labels are 16x12 but the image img_a\.jpg is 20x12'):
        t(dict(img_id='img_a', img_path='img_a.jpg', img_shape=(12, 20), classes=('a', 'b', 'c')))
    with pytest.raises(DataError, match=r'img_b\.json: no stored weak labels'):
        t(dict(img_id='img_b', img_path='img_b.jpg', img_shape=(12, 16), classes=('a', 'b', 'c')))
    with pytest.raises(DataError, match=r'img_a\.json: tag \[2\] outside the class range 0\.\.1'):
        t(dict(img_id='img_a', img_path='img_a.jpg', img_shape=(12, 16), classes=('a', 'b')))
    (tmp_path / 'img_c.json').write_text(json.dumps(dict(tags=[1])))
    with pytest.raises(DataError, match=r'img_c\.json: not a weak-label record'):
        load_weak_labels(tmp_path, 'img_c')
    with pytest.raises(ValueError, match='unknown kinds'):
        TRANSFORMS.build(dict(type='LoadWeakLabels', sources=[
            dict(type='StoredWeakLabels', weak_dir=str(tmp_path), kinds=['clicks'])]))
