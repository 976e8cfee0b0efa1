"""CocoInstancesDataset on the real coco_mini sample, painting order, crowd, bad inputs."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from wsseg.datasets.coco import CocoInstancesDataset, CocoMasks, semantic_mask
from wsseg.datasets.transforms import LoadImage, LoadMask
from wsseg.utils.io import DataError


@pytest.fixture(scope='module')
def coco_root(shared_data) -> Path:
    return shared_data / 'coco_mini'


@pytest.fixture(scope='module')
def coco(coco_root):
    return CocoInstancesDataset(data_root=str(coco_root))


@pytest.fixture(scope='module')
def raw(coco_root) -> dict:
    return json.loads((coco_root / 'annotations.json').read_text())


def item(ds, coco_image_id: int) -> dict:
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        if info['coco_image_id'] == coco_image_id:
            return info
    raise KeyError(coco_image_id)


def test_classes_and_counts(coco):
    assert len(coco) == 6
    classes = coco.metainfo['classes']
    # standard COCO: 80 categories, person is id 1, motorcycle id 4, bottle id 44 (40th class)
    assert len(classes) == 81 and classes[0] == 'background'
    assert classes[1] == 'person' and classes[4] == 'motorcycle' and classes[40] == 'bottle'
    assert len(coco.metainfo['palette']) == 81


def test_boxes_xywh_to_xyxy(coco, raw):
    info = item(coco, 343934)
    # annotations.json: one motorcycle, bbox [175.14, 175.68, 321.08, 240] (x, y, w, h)
    np.testing.assert_allclose(info['boxes'], [[175.14, 175.68, 496.22, 415.68]], atol=1e-3)
    assert info['box_labels'].tolist() == [4] and info['tags'] == [4]
    assert info['seg_map_path'] is None and info['img_id'] == '000000343934'
    assert info['coco_ann_ids'] == [150977]
    # every image: one box per non-crowd annotation, inside the image
    for i in range(len(coco)):
        info = coco.get_data_info(i)
        n = sum(1 for a in raw['annotations']
                if a['image_id'] == info['coco_image_id'] and not a['iscrowd'])
        assert info['boxes'].shape == (n, 4) and len(info['instance_masks']) == n
        b = info['boxes']
        assert (b[:, 0] >= 0).all() and (b[:, 2] <= info['width']).all()
        assert (b[:, 2] > b[:, 0]).all() and (b[:, 3] > b[:, 1]).all()


def test_instance_masks_match_boxes_and_areas(coco, raw):
    area = {a['id']: a['area'] for a in raw['annotations']}
    for cid in (343934, 128372):
        info = item(coco, cid)
        masks = info['instance_masks']
        assert isinstance(masks, CocoMasks) and masks.to_array().dtype == bool
        for m, box, ann_id in zip(masks, info['boxes'], info['coco_ann_ids']):
            assert m.shape == (info['height'], info['width'])
            ys, xs = np.nonzero(m)
            # the polygon's pixels fill its box up to a pixel of rounding on each side
            assert abs(xs.min() - box[0]) <= 1.5 and abs(xs.max() + 1 - box[2]) <= 1.5
            assert abs(ys.min() - box[1]) <= 1.5 and abs(ys.max() + 1 - box[3]) <= 1.5
            assert abs(m.sum() - area[ann_id]) <= 0.02 * area[ann_id] + 2


def test_semantic_mask_crowd_and_empty(coco, raw):
    info = item(coco, 464689)                   # 13 bottles + 1 crowd of bottles
    sem = semantic_mask(info)
    assert sem.shape == (640, 586) and sem.dtype == np.uint8
    assert set(np.unique(sem)) == {0, 40, 255}
    crowd = next(a for a in info['coco_anns'] if a['iscrowd'])
    assert info['boxes'].shape == (13, 4) and 40 in info['tags']
    assert crowd['id'] not in info['coco_ann_ids']
    # pixels of non-crowd instances smaller than the crowd region carry the bottle class
    m0 = info['instance_masks'][0]
    assert (sem[m0] == 40).mean() > 0.5
    empty = item(coco, 89)                      # no annotation at all
    assert empty['boxes'].shape == (0, 4) and len(empty['instance_masks']) == 0
    assert not semantic_mask(empty).any() and empty['instance_masks'].to_array().shape == (0, 480, 640)


def test_pipeline_builds_gt_from_instances(coco_root):
    ds = CocoInstancesDataset(data_root=str(coco_root), pipeline=[LoadImage(), LoadMask()])
    for i in range(len(ds)):
        out = ds[i]
        assert out['gt_seg_map'].shape == out['img'].shape[:2]
    out = ds[[ds.get_data_info(i)['coco_image_id'] for i in range(6)].index(343934)]
    assert set(np.unique(out['gt_seg_map'])) == {0, 4}


def write_coco(tmp_path: Path, anns: list[dict], size=(20, 20), cats=((1, 'a'), (2, 'b'))) -> Path:
    (tmp_path / 'images').mkdir(exist_ok=True)
    Image.new('RGB', size).save(tmp_path / 'images' / 'x.jpg')
    for i, a in enumerate(anns):
        a.setdefault('id', i + 1)
        a.setdefault('image_id', 7)
        a.setdefault('iscrowd', 0)
    data = dict(images=[dict(id=7, file_name='x.jpg', width=size[0], height=size[1])],
                annotations=anns, categories=[dict(id=i, name=n) for i, n in cats])
    (tmp_path / 'ann.json').write_text(json.dumps(data))
    return tmp_path


def square(x0, y0, x1, y1):
    return [[x0, y0, x1, y0, x1, y1, x0, y1]]


def test_paint_order_largest_first_and_crowd(tmp_path):
    crowd_rle = dict(size=[20, 20], counts=[20 * 15, 5 * 20])   # column-major: last 5 columns
    root = write_coco(tmp_path, [
        dict(category_id=2, segmentation=square(2, 2, 6, 6), area=16, bbox=[2, 2, 4, 4]),
        dict(category_id=1, segmentation=square(0, 0, 12, 12), area=144, bbox=[0, 0, 12, 12]),
        dict(category_id=1, segmentation=crowd_rle, area=100, bbox=[15, 0, 5, 20], iscrowd=1),
    ])
    ds = CocoInstancesDataset(ann_file='ann.json', data_root=str(root))
    info = ds.get_data_info(0)
    assert ds.metainfo['classes'] == ('background', 'a', 'b')
    sem = semantic_mask(info)
    # hand-computed: the small square (b = 2) painted over the big one (a = 1), listed first
    assert sem[4, 4] == 2 and sem[9, 9] == 1 and sem[14, 13] == 0
    assert (sem[:, 15:] == 255).all() and (sem[:, 12:15] == 0).all()   # crowd -> ignore
    assert info['box_labels'].tolist() == [2, 1] and info['tags'] == [1, 2]
    np.testing.assert_allclose(info['boxes'], [[2, 2, 6, 6], [0, 0, 12, 12]])


@pytest.mark.parametrize('ann,msg', [
    (dict(category_id=1, segmentation=square(15, 2, 19, 6), bbox=[15, 2, 10, 4]), 'outside the image'),
    (dict(category_id=1, segmentation=square(2, 2, 6, 6), bbox=[2, 2, 0, 4]), 'degenerate'),
    (dict(category_id=9, segmentation=square(2, 2, 6, 6), bbox=[2, 2, 4, 4]), 'unknown category id 9'),
    (dict(category_id=1, segmentation=square(2, 2, 6, 6), bbox=[2, 2, 4, 4], image_id=8),
     'unknown image id 8'),
])
def test_bad_annotations(tmp_path, ann, msg):
    root = write_coco(tmp_path, [ann])
    with pytest.raises(DataError, match=rf'ann\.json: annotation 1.*{msg}'):
        CocoInstancesDataset(ann_file='ann.json', data_root=str(root))


def test_box_tolerance_and_skip_degenerate(tmp_path):
    root = write_coco(tmp_path, [
        dict(category_id=1, segmentation=square(2, 2, 6, 6), bbox=[10, 10, 10.4, 10.4]),
        dict(category_id=2, segmentation=square(2, 2, 6, 6), bbox=[2, 2, 4, 0]),
    ])
    ds = CocoInstancesDataset(ann_file='ann.json', data_root=str(root), skip_degenerate=True)
    info = ds.get_data_info(0)
    np.testing.assert_allclose(info['boxes'], [[10, 10, 20, 20]])   # 0.4 px overshoot clipped
    assert info['coco_ann_ids'] == [1]


def test_bad_files(tmp_path):
    with pytest.raises(DataError, match=r'nope\.json: COCO annotation file not found'):
        CocoInstancesDataset(ann_file='nope.json', data_root=str(tmp_path))
    (tmp_path / 'bad.json').write_text('{"images": [')
    with pytest.raises(DataError, match=r'bad\.json: malformed JSON'):
        CocoInstancesDataset(ann_file='bad.json', data_root=str(tmp_path))
    (tmp_path / 'keys.json').write_text('{"images": []}')
    with pytest.raises(DataError, match=r'keys\.json: not a COCO instances file'):
        CocoInstancesDataset(ann_file='keys.json', data_root=str(tmp_path))
    root = write_coco(tmp_path, [])
    (root / 'images' / 'x.jpg').unlink()
    with pytest.raises(DataError, match=r'ann\.json: image .*x\.jpg \(id 7\) not found'):
        CocoInstancesDataset(ann_file='ann.json', data_root=str(root))
    data = json.loads((root / 'ann.json').read_text())
    data['images'] = []
    (root / 'ann.json').write_text(json.dumps(data))
    with pytest.raises(DataError, match=r'ann\.json: no image'):
        CocoInstancesDataset(ann_file='ann.json', data_root=str(root))
