"""Weak-label sources on data-info dicts, LoadWeakLabels, and the plugin example of the docs."""
from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from wsseg.datasets.transforms import LoadImage, LoadMask, PackSegInputs
from wsseg.registry import TRANSFORMS
from wsseg.utils.io import write_png_atomic
from wsseg.weak import Boxes, LoadWeakLabels, Points, Scribbles, Tags
from wsseg.weak.simulate import regions

# numpy, DataError and the rest come with the example's own imports below.
# --- plugin example (same code as docs/weak_label_plugins.md) ---
import numpy as np
from skimage.draw import polygon

from wsseg.registry import WEAK_LABELS
from wsseg.structures import IGNORE
from wsseg.utils.io import DataError
from wsseg.weak.base import WeakLabelSource, get_weak


@WEAK_LABELS.register_module()
class PolygonLabels(WeakLabelSource):
    """Filled polygons from the data info key ``polygons``: [dict(label=int, xy=[[x, y], ...])].

    Pixels whose centre lies inside a polygon take its label in ``weak.scribbles``; the
    polygon's pixel extent becomes a box with the same label.
    """

    kind = 'polygons'

    def __init__(self, min_vertices: int = 3):
        super().__init__()
        self.min_vertices = min_vertices

    def __call__(self, results: dict) -> None:
        weak = get_weak(results)
        h, w = weak.image_size
        scr = np.full((h, w), IGNORE, np.uint8) if weak.scribbles is None else weak.scribbles.copy()
        boxes, labels = [], []
        for i, poly in enumerate(results.get('polygons', [])):
            xy = np.asarray(poly['xy'], np.float64).reshape(-1, 2)
            if len(xy) < self.min_vertices:
                raise DataError(f"{results['img_path']}: polygon {i} has {len(xy)} vertices, "
                                f'needs at least {self.min_vertices}')
            rr, cc = polygon(xy[:, 1], xy[:, 0], shape=(h, w))
            if not rr.size:
                raise DataError(f"{results['img_path']}: polygon {i} covers no pixel of the image")
            scr[rr, cc] = int(poly['label'])
            boxes.append([cc.min(), rr.min(), cc.max() + 1, rr.max() + 1])
            labels.append(int(poly['label']))
        weak.scribbles = scr
        weak.boxes = np.concatenate([weak.boxes, np.asarray(boxes, np.float32).reshape(-1, 4)])
        weak.box_labels = np.concatenate([weak.box_labels, np.asarray(labels, np.int64)])
        self.validate(results)     # DataError naming the image for a label out of range
# --- end of plugin example ---

CAMVID = ('sky', 'building', 'pole', 'road', 'pavement', 'tree', 'sign_symbol', 'fence', 'car',
          'pedestrian', 'bicyclist')
STEMS = ('0001TP_006690', '0016E5_04620')
DOC = Path(__file__).resolve().parents[2] / 'docs' / 'weak_label_plugins.md'


@pytest.fixture(scope='module')
def camvid(shared_data):
    root = shared_data / 'camvid'
    if not (root / 'images' / 'train' / f'{STEMS[0]}.jpg').is_file():
        pytest.skip('CamVid sample images not found in shared data')

    def make(stem: str = STEMS[0], **extra) -> dict:
        info = dict(img_path=str(root / 'images' / 'train' / f'{stem}.jpg'), img_id=stem,
                    seg_map_path=str(root / 'masks' / 'train' / f'{stem}.png'), classes=CAMVID)
        info.update(extra)
        return LoadMask()(LoadImage()(info))
    return make


def small(h: int = 20, w: int = 30, **extra) -> dict:
    """A synthetic sample as LoadImage leaves it (image and 5 classes), plus data-info keys."""
    r = dict(img_path='/data/img_0.jpg', img_id='img_0', img=np.zeros((h, w, 3), np.uint8),
             img_shape=(h, w), classes=tuple(f'c{i}' for i in range(5)))
    r.update(extra)
    return r


# ------------------------------------------------------------------------------- tags
def test_tags_from_info_image_label_and_mask(camvid):
    r = small(tags=[3, 1])
    Tags()(r)
    assert r['weak'].tags.tolist() == [1, 3] and r['weak'].source == '/data/img_0.jpg'
    assert r['weak'].image_size == (20, 30)
    r = small(image_label=2)
    Tags()(r)
    assert r['weak'].tags.tolist() == [2]
    r = camvid()
    Tags(simulate=True)(r)
    gt = r['gt_seg_map']
    assert set(r['weak'].tags.tolist()) == set(np.unique(gt).tolist()) - {255}


# ------------------------------------------------------------------------------ boxes
def test_boxes_from_info_append_and_validate():
    r = small(boxes=[[0, 0, 10, 5], [20, 10, 30, 20]], box_labels=[1, 4])
    Boxes()(r)
    assert r['weak'].boxes.tolist() == [[0, 0, 10, 5], [20, 10, 30, 20]]
    assert r['weak'].box_labels.tolist() == [1, 4]
    r['boxes'], r['box_labels'] = [[1, 1, 2, 2]], [0]
    Boxes()(r)                                    # a second source appends
    assert len(r['weak'].boxes) == 3 and r['weak'].box_labels.tolist() == [1, 4, 0]


def test_boxes_simulated_from_instances_and_from_mask(camvid):
    gt = np.zeros((20, 30), np.uint8)
    gt[2:8, 3:12] = 2
    a = np.zeros((20, 30), bool)
    a[2:8, 3:7] = True
    b = np.zeros((20, 30), bool)
    b[2:8, 7:12] = True
    r = small(gt_seg_map=gt, instance_masks=[a, b], box_labels=[2, 2])
    Boxes(simulate=True)(r)
    assert r['weak'].boxes.tolist() == [[3, 2, 7, 8], [7, 2, 12, 8]]     # instances, not the region
    with pytest.raises(DataError, match=r'/data/img_0.jpg: 2 instance masks but 1 labels'):
        Boxes(simulate=True)(small(gt_seg_map=gt, instance_masks=[a, b], box_labels=[2]))
    with pytest.raises(DataError, match=r'/data/img_0.jpg: instance mask 0 is \(5, 5\)'):
        Boxes(simulate=True)(small(gt_seg_map=gt, instance_masks=[np.ones((5, 5), bool)]))
    r = small(gt_seg_map=gt)
    Boxes(simulate=True, background_index=0)(r)
    assert r['weak'].boxes.tolist() == [[3, 2, 12, 8]] and r['weak'].box_labels.tolist() == [2]
    r = camvid()
    Boxes(simulate=True, min_area=50)(r)
    gt = r['gt_seg_map']
    assert len(r['weak'].boxes) == len(list(regions(gt, min_area=50)))
    for (x1, y1, x2, y2), c in zip(r['weak'].boxes.astype(int), r['weak'].box_labels):
        window = gt[y1:y2, x1:x2] == c
        assert window[0].any() and window[-1].any() and window[:, 0].any() and window[:, -1].any()


# -------------------------------------------------------------------------- scribbles
def test_scribble_png_is_read_and_checked(tmp_path):
    scr = np.full((20, 30), 255, np.uint8)
    scr[5, 2:20] = 1
    scr[12:14, 4:9] = 3
    write_png_atomic(tmp_path / 'a.png', scr)
    r = small(scribble_path=str(tmp_path / 'a.png'))
    Scribbles()(r)
    assert np.array_equal(r['weak'].scribbles, scr)
    assert r['weak'].labelled_fraction() == pytest.approx((18 + 10) / 600)


def test_scribble_xml_via_the_voc_rasteriser(tmp_path):
    from wsseg.datasets.voc import VOC_CLASSES
    xml = ('<annotation><filename>img_0.jpg</filename><size><width>30</width><height>20</height>'
           '<depth>3</depth></size><polygon><tag>dog</tag>'
           '<point><X>2</X><Y>3</Y></point><point><X>10</X><Y>3</Y></point></polygon></annotation>')
    (tmp_path / 'a.xml').write_text(xml)
    r = small(scribble_path=str(tmp_path / 'a.xml'), classes=VOC_CLASSES)
    Scribbles(xml_options=dict(width=1))(r)
    want = np.full((20, 30), 255, np.uint8)
    want[3, 2:11] = VOC_CLASSES.index('dog')
    assert np.array_equal(r['weak'].scribbles, want)
    (tmp_path / 'b.xml').write_text('<annotation><size><width>30</width><height>20</height></size>'
                                    '</annotation>')
    with pytest.raises(DataError, match=re.escape(str(tmp_path / 'b.xml'))):
        Scribbles()(small(scribble_path=str(tmp_path / 'b.xml'), classes=VOC_CLASSES))


def test_simulated_scribbles_per_image_deterministic(camvid):
    a1 = camvid(STEMS[0])
    b1 = camvid(STEMS[1])
    src = Scribbles(simulate=True, coverage=0.03, seed=3)
    src(a1)
    src(b1)
    b2 = camvid(STEMS[1])
    a2 = camvid(STEMS[0])
    other = Scribbles(simulate=True, coverage=0.03, seed=3)
    other(b2)                                     # opposite order, fresh instance
    other(a2)
    assert np.array_equal(a1['weak'].scribbles, a2['weak'].scribbles)
    assert np.array_equal(b1['weak'].scribbles, b2['weak'].scribbles)
    a3 = camvid(STEMS[0])
    Scribbles(simulate=True, coverage=0.03, seed=4)(a3)
    assert not np.array_equal(a1['weak'].scribbles, a3['weak'].scribbles)
    a4 = camvid(STEMS[0], img_id='renamed')       # same mask, another image id
    src(a4)
    assert not np.array_equal(a1['weak'].scribbles, a4['weak'].scribbles)
    s, gt = a1['weak'].scribbles, a1['gt_seg_map']
    assert np.array_equal(s[s != 255], gt[s != 255])
    assert 0.015 < a1['weak'].labelled_fraction() < 0.045


# ----------------------------------------------------------------------------- points
def test_points_from_info_and_bad_input():
    r = small(points=[[0, 0], [29, 19]], point_labels=[1, 2])
    Points()(r)
    assert r['weak'].points.tolist() == [[0, 0], [29, 19]]
    assert r['weak'].partial_mask()[19, 29] == 2
    with pytest.raises(DataError, match=r'/data/img_0.jpg: points \[\[30, 5\]\] lie outside'):
        Points()(small(points=[[30, 5]], point_labels=[1]))
    with pytest.raises(DataError, match=r'/data/img_0.jpg: point label \[5\] outside'):
        Points()(small(points=[[3, 5]], point_labels=[5]))
    with pytest.raises(DataError, match='/data/img_0.jpg: 1 points but no point_labels'):
        Points()(small(points=[[3, 5]]))


def test_points_simulated_inside_regions(camvid):
    r = camvid()
    Points(simulate=True, n_per_region=2, min_area=30)(r)
    gt, w = r['gt_seg_map'], r['weak']
    assert len(w.points) == 2 * len(list(regions(gt, min_area=30)))
    assert (gt[w.points[:, 1], w.points[:, 0]] == w.point_labels).all()


# ----------------------------------------------------------------------- LoadWeakLabels
def test_load_weak_labels_from_config_end_to_end(camvid):
    t = TRANSFORMS.build(dict(type='LoadWeakLabels', sources=[
        dict(type='Tags', simulate=True),
        dict(type='Boxes', simulate=True, min_area=20),
        dict(type='Scribbles', simulate=True, coverage=0.03, seed=1),
        dict(type='Points', simulate=True, seed=1),
    ]))
    assert isinstance(t, LoadWeakLabels) and [type(s) for s in t.sources] == [Tags, Boxes, Scribbles, Points]
    r = t(camvid())
    w, gt = r['weak'], r['gt_seg_map']
    assert len(w.tags) and len(w.boxes) and w.scribbles is not None and len(w.points)
    sample = PackSegInputs(target='partial')(r)['data_samples']
    target = sample.target.numpy()
    lab = target != 255
    assert 0.015 < lab.mean() < 0.05
    assert np.array_equal(target[lab], gt[lab])


def test_load_weak_labels_errors(camvid):
    with pytest.raises(DataError, match='needs img_shape; put LoadImage'):
        LoadWeakLabels([dict(type='Tags', simulate=True)])(dict(img_path='x.jpg'))
    r = camvid()
    del r['gt_seg_map']
    with pytest.raises(DataError, match=re.escape(r['img_path']) + r'.*Scribbles\(simulate=True\).*LoadMask'):
        LoadWeakLabels([dict(type='Scribbles', simulate=True)])(r)
    with pytest.raises(ValueError, match='at least one source'):
        LoadWeakLabels([])
    with pytest.raises(KeyError):
        LoadWeakLabels([dict(type='NoSuchSource')])
    with pytest.raises(ValueError, match='coverage'):
        LoadWeakLabels([dict(type='Scribbles', simulate=True, coverage=0)])


# --------------------------------------------------------------------- plugin example
def test_plugin_example_runs_from_config():
    t = TRANSFORMS.build(dict(type='LoadWeakLabels', sources=[dict(type='PolygonLabels', min_vertices=3)]))
    # a rectangle with half-integer corners: pixel centres inside are rows 2..4, cols 2..5
    r = t(small(polygons=[dict(label=3, xy=[[1.5, 1.5], [5.5, 1.5], [5.5, 4.5], [1.5, 4.5]])]))
    w = r['weak']
    want = np.full((20, 30), 255, np.uint8)
    want[2:5, 2:6] = 3
    assert np.array_equal(w.scribbles, want)
    assert w.boxes.tolist() == [[2, 2, 6, 5]] and w.box_labels.tolist() == [3]
    with pytest.raises(DataError, match=r'/data/img_0.jpg: polygon 0 has 2 vertices'):
        t(small(polygons=[dict(label=3, xy=[[1, 1], [5, 5]])]))
    with pytest.raises(DataError, match=r'/data/img_0.jpg: box label \[8\] outside'):
        t(small(polygons=[dict(label=8, xy=[[1.5, 1.5], [5.5, 1.5], [5.5, 4.5]])]))


def test_plugin_example_matches_the_docs():
    src = inspect.getsource(inspect.getmodule(PolygonLabels))
    example = src.split('# --- plugin example (same code as docs/weak_label_plugins.md) ---\n')[1]
    example = example.split('# --- end of plugin example ---')[0].strip()
    blocks = re.findall(r'```python\n(.*?)```', DOC.read_text(), re.S)
    doc_code = [b for b in blocks if 'class PolygonLabels' in b]
    assert len(doc_code) == 1
    body = doc_code[0].split('\n', 1)[1].strip()     # drop the "# my_project/polygons.py" line
    assert body == example
