"""Property-based fuzzing of the weak-label readers (hypothesis): VOC box XML, ScribbleSup XML,
point JSON, scribble PNGs and COCO JSON. For any malformed input each reader either raises a
:class:`DataError` whose message names the file, or returns labels that lie inside the image
(boxes within it, points on its pixels, a scribble map of its size with class values or 255).
Never another exception, never a label outside the image.

Inputs are valid files with fields dropped, duplicated or replaced by hostile values (huge,
negative, NaN/inf, text, nested JSON, non-UTF-8 bytes), and plain random bytes. Each reader
runs ``EXAMPLES`` cases (``WSSEG_FUZZ_EXAMPLES`` raises it; docs/reliability.md gives the
counts of the committed run)."""
from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from wsseg.datasets.coco import CocoInstancesDataset
from wsseg.datasets.voc import (VOC_CLASSES, _load_points_json, _parse_points, parse_voc_xml,
                                rasterize_scribble_xml)
from wsseg.structures import IGNORE
from wsseg.utils.io import DataError
from wsseg.weak.scribbles import Scribbles

EXAMPLES = int(os.environ.get('WSSEG_FUZZ_EXAMPLES', 60))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                suppress_health_check=list(HealthCheck))
H, W = 12, 17
K = len(VOC_CLASSES)

numbers = st.one_of(st.integers(-10 ** 12, 10 ** 12), st.integers(-3, W + 3),
                    st.floats(allow_nan=True, allow_infinity=True), st.floats(-2, W + 2))
hostile = st.one_of(numbers.map(str), st.text(max_size=8), st.sampled_from(['', ' ', '1e309', '-0',
                                                                            '0x10', '1,5', 'nan']))
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=6)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=12)


def _file(data: bytes, suffix: str) -> Path:
    fd, name = tempfile.mkstemp(suffix=suffix, dir=_DIR)
    with os.fdopen(fd, 'wb') as f:
        f.write(data)
    return Path(name)


_DIR = tempfile.mkdtemp(prefix='wsseg_fuzz_')
atexit.register(shutil.rmtree, _DIR, True)         # each case removes its file; this the rest


def _raises_naming(path: Path, fn):
    """``fn()``'s result, or None when it raised a DataError naming ``path``; any other
    exception fails the property."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            return fn()
    except DataError as e:
        assert str(path) in str(e), f'DataError does not name the file: {e}'
        return None


# ----------------------------------------------------------------------------- XML
@st.composite
def xml_value(draw, good):
    return draw(st.one_of(st.just(str(good)), hostile))


@st.composite
def voc_xml(draw) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=200))
    parts = ['<annotation>']
    if draw(st.booleans()):
        parts.append(f'<size><width>{draw(xml_value(W))}</width><height>{draw(xml_value(H))}</height></size>')
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.one_of(st.sampled_from(VOC_CLASSES + ('plane', 'Person', 'sky')), st.text(max_size=5)))
        obj = [f'<name>{_esc(name)}</name>'] if draw(st.integers(0, 5)) else []
        if draw(st.integers(0, 5)):
            vals = [draw(xml_value(g)) for g in (2, 3, W - 1, H - 1)]
            keys = ['xmin', 'ymin', 'xmax', 'ymax']
            obj.append('<bndbox>' + ''.join(f'<{k}>{_esc(v)}</{k}>' for k, v in zip(keys, vals)
                                            if draw(st.integers(0, 7))) + '</bndbox>')
        for _ in range(draw(st.integers(0, 2))):
            obj.append(f'<point><x>{_esc(draw(xml_value(3)))}</x><y>{_esc(draw(xml_value(4)))}</y></point>')
        if draw(st.booleans()):
            obj.append(f'<difficult>{_esc(draw(xml_value(0)))}</difficult>')
        parts.append('<object>' + ''.join(obj) + '</object>')
    parts.append('</annotation>')
    text = ''.join(parts)
    if draw(st.integers(0, 6)) == 0:       # truncated
        text = text[:draw(st.integers(0, len(text)))]
    return text.encode('utf-8', 'surrogatepass')


def _esc(s: str) -> str:
    return s.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')


@st.composite
def scribble_xml(draw) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=200))
    parts = ['<annotation>']
    if draw(st.integers(0, 3)) == 0:
        parts.append(f'<size><width>{draw(xml_value(W))}</width><height>{draw(xml_value(H))}</height></size>')
    for _ in range(draw(st.integers(0, 3))):
        poly = []
        if draw(st.integers(0, 5)):
            tag = draw(st.one_of(st.sampled_from(VOC_CLASSES + ('bike', 'grass', 'unknownthing')),
                                 st.text(max_size=5)))
            poly.append(f'<tag>{_esc(tag)}</tag>')
        for _ in range(draw(st.integers(0, 4))):
            poly.append(f'<point><X>{_esc(draw(xml_value(5)))}</X><Y>{_esc(draw(xml_value(6)))}</Y></point>')
        parts.append('<polygon>' + ''.join(poly) + '</polygon>')
    parts.append('</annotation>')
    text = ''.join(parts)
    if draw(st.integers(0, 6)) == 0:
        text = text[:draw(st.integers(0, len(text)))]
    return text.encode('utf-8', 'surrogatepass')


def _boxes_inside(boxes: np.ndarray) -> None:
    assert np.isfinite(boxes).all()
    assert ((boxes[:, 0] >= 0) & (boxes[:, 1] >= 0) & (boxes[:, 2] <= W) & (boxes[:, 3] <= H)).all()
    assert ((boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])).all()


def _points_inside(points: np.ndarray) -> None:
    assert ((points[:, 0] >= 0) & (points[:, 0] < W) & (points[:, 1] >= 0) & (points[:, 1] < H)).all()


@FUZZ
@given(voc_xml())
def test_voc_box_xml(data):
    path = _file(data, '.xml')
    out = _raises_naming(path, lambda: parse_voc_xml(path, image_shape=(H, W)))
    if out is not None:
        assert tuple(out['shape']) == (H, W)
        _boxes_inside(out['boxes'])
        _points_inside(out['points'])
        assert ((out['box_labels'] >= 0) & (out['box_labels'] < K)).all()
    path.unlink()


@FUZZ
@given(scribble_xml())
def test_scribblesup_xml(data):
    path = _file(data, '.xml')
    out = _raises_naming(path, lambda: rasterize_scribble_xml(path, (H, W)))
    if out is not None:
        assert out.shape == (H, W) and out.dtype == np.uint8
        assert set(np.unique(out).tolist()) <= set(range(K)) | {IGNORE}
    path.unlink()


# ----------------------------------------------------------------------------- JSON
@st.composite
def points_json(draw) -> bytes:
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.binary(max_size=200))
    if kind == 1:
        return json.dumps(draw(json_values)).encode()
    entries = []
    for _ in range(draw(st.integers(0, 4))):
        e = {k: draw(st.one_of(numbers, st.text(max_size=4), json_values)) if draw(st.integers(0, 4)) == 0
             else v for k, v in (('x', draw(st.integers(-2, W + 2))), ('y', draw(st.integers(-2, H + 2))),
                                 ('cls', draw(st.one_of(st.integers(-1, K + 1),
                                                        st.sampled_from(VOC_CLASSES)))))
             if draw(st.integers(0, 9))}
        entries.append(e)
    doc = {'img': entries}
    if draw(st.booleans()):
        doc['other'] = draw(json_values)
    text = json.dumps(doc, allow_nan=True)
    if draw(st.integers(0, 6)) == 0:
        text = text[:draw(st.integers(0, len(text)))]
    return text.encode()


@FUZZ
@given(points_json())
def test_point_json(data):
    path = _file(data, '.json')

    def read():
        doc = _load_points_json(path)
        return [_parse_points(v, VOC_CLASSES, (H, W), f'{path}: image {k}') for k, v in doc.items()]
    out = _raises_naming(path, read)
    for pts, labels in out or []:
        _points_inside(pts)
        assert len(pts) == len(labels) and ((labels >= 0) & (labels < K)).all()
    path.unlink()


# ----------------------------------------------------------------------------- PNG
@st.composite
def scribble_png(draw) -> bytes:
    import io
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return draw(st.binary(max_size=300))
    h, w = draw(st.sampled_from([(H, W), (H, W), (W, H), (1, 1), (H + 1, W)]))
    vals = draw(st.lists(st.sampled_from([0, 1, 5, 20, 21, 254, 255]), min_size=1, max_size=4))
    arr = np.array(vals * (h * w // len(vals) + 1), np.uint8)[:h * w].reshape(h, w)
    mode = draw(st.sampled_from(['L', 'P', 'RGB', 'I;16', '1', 'RGBA']))
    im = Image.fromarray(arr).convert(mode) if mode != 'I;16' else Image.fromarray(arr.astype(np.uint16))
    buf = io.BytesIO()
    im.save(buf, format='PNG')
    data = buf.getvalue()
    if kind == 1:                                  # truncated
        data = data[:draw(st.integers(0, len(data)))]
    elif kind == 2:                                # a flipped byte
        i = draw(st.integers(0, len(data) - 1))
        data = data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:]
    return data


@FUZZ
@given(scribble_png())
def test_scribble_png(data):
    path = _file(data, '.png')
    results = dict(scribble_path=str(path), img_shape=(H, W, 3), classes=VOC_CLASSES,
                   img_path='img.jpg')
    out = _raises_naming(path, lambda: Scribbles().read(results))
    if out is not None:
        assert out.shape == (H, W) and set(np.unique(out).tolist()) <= set(range(K)) | {IGNORE}
        assert (out != IGNORE).any()
    path.unlink()


# ----------------------------------------------------------------------------- COCO
_COCO_IMAGES = Path(_DIR) / 'coco_images'


def _coco_image() -> None:
    if not (_COCO_IMAGES / 'a.png').is_file():
        _COCO_IMAGES.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(_COCO_IMAGES / 'a.png')


@st.composite
def coco_json(draw) -> bytes:
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.binary(max_size=200))
    if kind == 1:
        return json.dumps(draw(json_values)).encode()

    def maybe(good):
        return draw(st.one_of(json_values, numbers)) if draw(st.integers(0, 6)) == 0 else good
    image = {k: maybe(v) for k, v in (('id', 1), ('file_name', 'a.png'), ('height', H), ('width', W))
             if draw(st.integers(0, 12))}
    cats = [{k: maybe(v) for k, v in (('id', 3), ('name', 'thing')) if draw(st.integers(0, 12))}]
    anns = []
    for i in range(draw(st.integers(0, 3))):
        x, y = draw(st.integers(-3, W + 2)), draw(st.integers(-3, H + 2))
        bw, bh = draw(st.integers(-1, W)), draw(st.integers(-1, H))
        poly = [x, y, x + bw, y, x + bw, y + bh, x, y + bh]
        segm = draw(st.sampled_from(['poly', 'rle', 'junk']))
        segmentation = ([poly] if segm == 'poly' else
                        {'size': [H, W], 'counts': draw(st.text(max_size=6))} if segm == 'rle'
                        else draw(json_values))
        ann = {k: maybe(v) for k, v in (('id', i + 1), ('image_id', 1), ('category_id', 3),
                                       ('bbox', [x, y, bw, bh]), ('segmentation', segmentation),
                                       ('iscrowd', draw(st.sampled_from([0, 0, 1]))),
                                       ('area', float(max(bw, 0) * max(bh, 0))))
               if draw(st.integers(0, 12))}
        anns.append(ann)
    doc = {k: v for k, v in (('images', [image]), ('annotations', anns), ('categories', cats))
           if draw(st.integers(0, 15))}
    return json.dumps(doc, allow_nan=True).encode()


@FUZZ
@given(coco_json())
def test_coco_json(data):
    _coco_image()
    path = _file(data, '.json')

    def read():
        ds = CocoInstancesDataset(ann_file=str(path), data_root=_DIR, img_dir='coco_images')
        return [ds.get_data_info(i) for i in range(len(ds))]
    out = _raises_naming(path, read)
    for info in out or []:
        assert (info['height'], info['width']) == (H, W)
        _boxes_inside(info['boxes'])
        assert len(info['instance_masks']) == len(info['boxes'])
        for m in info['instance_masks']:
            assert m.shape == (H, W)
        assert all(0 <= t < 2 for t in info['tags'])
    path.unlink()


# ----------------------------------------------------------------------------- found by fuzzing
@pytest.mark.parametrize('xml', [
    '<annotation><size><width>17</width><height>1e309</height></size></annotation>',
    '<annotation><object><name>person</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>4</xmax>'
    '<ymax>5</ymax></bndbox><point><x>inf</x><y>3</y></point></object></annotation>',
    '<annotation><object><name>cat</name><bndbox><xmin>nan</xmin><ymin>1</ymin><xmax>4</xmax>'
    '<ymax>5</ymax></bndbox></object></annotation>'])
def test_voc_xml_non_finite_numbers(tmp_path, xml):
    path = tmp_path / 'a.xml'
    path.write_text(xml)
    with pytest.raises(DataError, match=rf'{path}.*(not numeric|not a finite number)'):
        parse_voc_xml(path, image_shape=(H, W))


def test_point_json_infinite_coordinate(tmp_path):
    path = tmp_path / 'p.json'
    path.write_text('{"img": [{"x": Infinity, "y": 2, "cls": 1}]}')
    with pytest.raises(DataError, match=rf'{path}: image img: point 0 coordinates must be finite'):
        _parse_points(_load_points_json(path)['img'], VOC_CLASSES, (H, W), f'{path}: image img')
