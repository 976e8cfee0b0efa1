"""VOCDataset on the real voc_mini sample, ScribbleSup / PNG scribbles, points, bad inputs (bad
boxes, class names and split lists: tests/reliability/test_bad_inputs.py)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from wsseg.datasets.transforms import LoadImage, LoadMask
from wsseg.datasets.voc import (VOC_CLASSES, VOCDataset, load_scribble, parse_voc_xml,
                                rasterize_scribble_xml, voc_class_index,
                                voc_points_from_action_xml)
from wsseg.registry import DATASETS
from wsseg.structures import voc_palette
from wsseg.utils.io import DataError

IDS = ['2007_000063', '2007_000129', '2011_000003', '2011_000006', '2011_000025']
WITH_XML = ['2007_000063', '2011_000003', '2011_000006', '2011_000025']
DOG, CHAIR, BUS, CAR, PERSON, TABLE, PLANE = 12, 9, 6, 7, 15, 11, 1


@pytest.fixture(scope='module')
def voc_root(shared_data) -> Path:
    return shared_data / 'voc_mini' / 'VOCdevkit' / 'VOC2012'


def make_tmp_voc(voc_root: Path, tmp_path: Path) -> Path:
    """A VOC2012 folder in tmp_path whose JPEGImages / SegmentationClass link to voc_mini."""
    root = tmp_path / 'VOC2012'
    root.mkdir()
    for d in ('JPEGImages', 'SegmentationClass'):
        (root / d).symlink_to(voc_root / d, target_is_directory=True)
    (root / 'ImageSets' / 'Segmentation').mkdir(parents=True)
    (root / 'Annotations').mkdir()
    return root


@pytest.fixture
def tmp_voc(voc_root, tmp_path) -> Path:
    return make_tmp_voc(voc_root, tmp_path)


def write_list(root: Path, name: str, lines: list[str]) -> str:
    p = root / 'ImageSets' / 'Segmentation' / f'{name}.txt'
    p.write_text('\n'.join(lines) + '\n')
    return name


VOC_XML = """<annotation><filename>{id}.jpg</filename>
<size><width>{w}</width><height>{h}</height><depth>3</depth></size>{objects}</annotation>"""
OBJ = ('<object><name>{name}</name><difficult>{diff}</difficult><bndbox><xmin>{x1}</xmin>'
       '<ymin>{y1}</ymin><xmax>{x2}</xmax><ymax>{y2}</ymax></bndbox>{extra}</object>')


def voc_xml(path: Path, objects: list[dict], w=500, h=375) -> Path:
    objs = ''.join(OBJ.format(**{'diff': 0, 'extra': '', **o}) for o in objects)
    path.write_text(VOC_XML.format(id=path.stem, w=w, h=h, objects=objs))
    return path


# ---------------------------------------------------------------------------- real sample
def test_metainfo_and_split(voc_root):
    ds = VOCDataset(str(voc_root))
    assert len(ds) == 5
    assert [ds.get_data_info(i)['img_id'] for i in range(5)] == IDS
    assert ds.metainfo['classes'] == VOC_CLASSES and len(VOC_CLASSES) == 21
    assert ds.metainfo['classes'][0] == 'background' and ds.metainfo['classes'][20] == 'tvmonitor'
    pal = np.asarray(ds.metainfo['palette'])
    assert pal.shape == (21, 3)
    assert pal[1].tolist() == [128, 0, 0] and pal[15].tolist() == [192, 128, 128]  # VOC colours
    np.testing.assert_array_equal(pal, voc_palette(21))
    info = ds.get_data_info(0)
    assert info['seg_map_path'].endswith('SegmentationClass/2007_000063.png')
    assert 'boxes' not in info and 'scribble_path' not in info


def test_registry_and_lazy_init(voc_root):
    ds = DATASETS.build(dict(type='VOCDataset', data_root=str(voc_root), lazy_init=True))
    assert isinstance(ds, VOCDataset) and not ds._fully_initialized
    assert len(ds) == 5 and ds._fully_initialized


def test_masks_load_and_agree_with_xml_boxes(voc_root):
    ds = VOCDataset(str(voc_root), pipeline=[LoadImage(), LoadMask()])
    for i in range(len(ds)):
        out = ds[i]
        mask = out['gt_seg_map']
        assert mask.shape == out['img'].shape[:2]
        assert set(np.unique(mask)) <= set(range(21)) | {255}
    # 2007_000063 (official GT) shows a dog (12) and a chair (9).
    assert {DOG, CHAIR} <= set(np.unique(ds[0]['gt_seg_map']))


def test_boxes_from_xml_hand_computed(tmp_voc, voc_root):
    # the 4 images that carry an Annotations XML
    for i in WITH_XML:
        (tmp_voc / 'Annotations' / f'{i}.xml').symlink_to(voc_root / 'Annotations' / f'{i}.xml')
    ds = VOCDataset(str(tmp_voc), split=write_list(tmp_voc, 'boxes', WITH_XML), with_boxes=True)
    a = ds.get_data_info(0)
    assert a['img_id'] == '2007_000063'
    # hand-read: dog xmin 123 ymin 115 xmax 379 ymax 275; chair 75 1 428 375 (1-based inclusive)
    np.testing.assert_allclose(a['boxes'], [[122, 114, 379, 275], [74, 0, 428, 375]])
    assert a['boxes'].dtype == np.float32
    assert a['box_labels'].tolist() == [DOG, CHAIR]
    assert a['box_difficult'].tolist() == [False, False]
    assert a['tags'] == [CHAIR, DOG]
    d = ds.get_data_info(3)
    assert d['img_id'] == '2011_000025'
    # bus 84.0 20.3846 435.0 373.3846; bus 1 99 107 282; car 409 167 500 266
    np.testing.assert_allclose(d['boxes'], [[83, 19.384615, 435, 373.384615], [0, 98, 107, 282],
                                            [408, 166, 500, 266]], rtol=0, atol=1e-4)
    assert d['box_labels'].tolist() == [BUS, BUS, CAR]
    # official GT (2007_000063): every mask pixel of a boxed class lies in a box of that class
    # (the 2011_* masks were redrawn with labelme and overshoot their boxes by a few pixels)
    for j in (0,):
        info = ds.get_data_info(j)
        mask = np.asarray(Image.open(info['seg_map_path']))
        for c in set(info['box_labels'].tolist()):
            inside = np.zeros_like(mask, bool)
            for (x1, y1, x2, y2), lab in zip(info['boxes'], info['box_labels']):
                if lab == c:
                    inside[math.floor(y1):math.ceil(y2), math.floor(x1):math.ceil(x2)] = True
            assert not ((mask == c) & ~inside).any(), (info['img_id'], c)


def test_with_boxes_missing_xml_names_file(voc_root):
    # 2007_000129 has no Annotations XML in voc_mini
    with pytest.raises(DataError, match='2007_000129.xml'):
        VOCDataset(str(voc_root), with_boxes=True)


def test_with_tags_only(tmp_voc, voc_root):
    (tmp_voc / 'Annotations' / '2011_000006.xml').symlink_to(voc_root / 'Annotations' / '2011_000006.xml')
    ds = VOCDataset(str(tmp_voc), split=write_list(tmp_voc, 't', ['2011_000006']), with_tags=True)
    info = ds.get_data_info(0)
    assert info['tags'] == [PERSON] and 'boxes' not in info


# ---------------------------------------------------------------------------- scribbles
SCRIBBLE_XML = """<annotation><filename>{id}.jpg</filename>
<size><width>{w}</width><height>{h}</height><depth>3</depth></size><segmented>1</segmented>
{polys}</annotation>"""


def scribble_xml(path: Path, polys: list[tuple[str, list[tuple[int, int]]]], w=500, h=375) -> Path:
    body = ''.join('<polygon><tag>%s</tag>%s</polygon>' % (
        tag, ''.join(f'<point><X>{x}</X><Y>{y}</Y></point>' for x, y in pts)) for tag, pts in polys)
    path.write_text(SCRIBBLE_XML.format(id=path.stem, w=w, h=h, polys=body))
    return path


def test_rasterize_scribble_hits_exactly_the_polyline(tmp_path):
    x = scribble_xml(tmp_path / '2007_000063.xml', [
        ('dog', [(150, 200), (300, 200), (300, 250)]),   # an L: row 200 then column 300
        ('table', [(-10, 100), (20, 100)]),              # starts outside: clipped to x = 0
        ('plane', [(499, 374)]),                         # single point in the corner
    ])
    m = rasterize_scribble_xml(x, (375, 500), VOC_CLASSES)
    # Hand-drawn expectation: every pixel within one pixel (width 3) of the 1-px polyline.
    exp = np.full((375, 500), 255, np.uint8)
    exp[199:202, 149:302] = DOG
    exp[199:252, 299:302] = DOG
    exp[99:102, 0:22] = TABLE
    exp[373:375, 498:500] = PLANE
    np.testing.assert_array_equal(m, exp)
    assert m.dtype == np.uint8


def test_rasterize_diagonal_line_is_3_wide(tmp_path):
    x = scribble_xml(tmp_path / 'a.xml', [('person', [(10, 10), (40, 40)])], w=60, h=60)
    m = rasterize_scribble_xml(x, (60, 60))
    for k in range(10, 41):                      # the skeleton pixels (k, k) and their 3x3 box
        assert (m[k - 1:k + 2, k - 1:k + 2] == PERSON).all()
    assert m[10, 14] == 255 and m[30, 25] == 255   # 4 and 5 px off the diagonal
    assert set(np.unique(m)) == {PERSON, 255}


def test_scribble_unknown_policies(tmp_path):
    x = scribble_xml(tmp_path / 's.xml', [('sky', [(0, 0), (9, 0)]), ('unicorn', [(0, 5), (9, 5)]),
                                          ('bike', [(0, 9), (9, 9)])], w=10, h=10)
    bg = rasterize_scribble_xml(x, (10, 10))
    assert bg[0, 4] == 0 and bg[5, 4] == 0 and bg[9, 4] == 2   # sky, unknown -> background
    ign = rasterize_scribble_xml(x, (10, 10), unknown='ignore')
    assert ign[0, 4] == 255 and ign[5, 4] == 255 and ign[9, 4] == 2   # unknown='error': test_bad_inputs
    y = scribble_xml(tmp_path / 't.xml', [('grass', [(0, 0), (9, 0)])], w=10, h=10)
    assert rasterize_scribble_xml(y, (10, 10), unknown='error')[0, 0] == 0  # Context stuff is fine
    with pytest.raises(ValueError, match='unknown'):
        rasterize_scribble_xml(y, (10, 10), unknown='drop')


def test_scribble_bad_files(tmp_path):
    empty = scribble_xml(tmp_path / 'empty.xml', [])
    with pytest.raises(DataError, match=r'empty\.xml.*no <polygon>'):
        rasterize_scribble_xml(empty, (375, 500))
    s = scribble_xml(tmp_path / 'size.xml', [('dog', [(1, 1)])], w=400, h=300)
    with pytest.raises(DataError, match=r'size\.xml.*differs'):
        rasterize_scribble_xml(s, (375, 500))
    bad = tmp_path / 'bad.xml'
    bad.write_text('<annotation><polygon>')
    with pytest.raises(DataError, match=r'bad\.xml.*malformed'):
        rasterize_scribble_xml(bad, (375, 500))
    nopts = tmp_path / 'nopts.xml'
    nopts.write_text('<annotation><polygon><tag>dog</tag></polygon></annotation>')
    with pytest.raises(DataError, match=r'nopts\.xml.*no <point>'):
        rasterize_scribble_xml(nopts, (375, 500))


def test_scribble_dir_xml_and_png(tmp_voc):
    sdir = tmp_voc / 'scribbles'
    sdir.mkdir()
    scribble_xml(sdir / '2007_000063.xml', [('dog', [(150, 200), (300, 200)])])
    png = np.full((500, 334), 255, np.uint8)                     # 2007_000129 is 334x500
    png[100:110, 50:60] = 15
    Image.fromarray(png).save(sdir / '2007_000129.png')
    ds = VOCDataset(str(tmp_voc), split=write_list(tmp_voc, 's', IDS[:2]), scribble_dir='scribbles')
    a, b = ds.get_data_info(0), ds.get_data_info(1)
    assert a['scribble_path'].endswith('2007_000063.xml') and b['scribble_path'].endswith('.png')
    assert a['scribble_unknown'] == 'background'
    sa = load_scribble(a['scribble_path'], (375, 500), a['classes'])
    assert sa[200, 150:301].tolist() == [DOG] * 151 and sa[205, 200] == 255
    np.testing.assert_array_equal(load_scribble(b['scribble_path'], (500, 334)), png)
    with pytest.raises(DataError, match='differs'):
        load_scribble(b['scribble_path'], (375, 500))
    # an image without a scribble file
    with pytest.raises(DataError, match=r'no scribble 2011_000003'):
        VOCDataset(str(tmp_voc), split=write_list(tmp_voc, 's3', IDS[:3]), scribble_dir='scribbles')


def test_rloss_two_column_lists(tmp_voc):
    (tmp_voc / 'pascal_2012_scribble').mkdir()
    Image.fromarray(np.full((375, 500), 255, np.uint8)).save(
        tmp_voc / 'pascal_2012_scribble' / '2007_000063.png')
    lines = ['/JPEGImages/2007_000063.jpg /pascal_2012_scribble/2007_000063.png']
    ds = VOCDataset(str(tmp_voc), split=write_list(tmp_voc, 'rloss', lines), mask_dir=None)
    info = ds.get_data_info(0)
    assert info['img_id'] == '2007_000063' and info['seg_map_path'] is None
    assert info['scribble_path'].endswith('pascal_2012_scribble/2007_000063.png')
    lines = ['JPEGImages/2011_000025.jpg SegmentationClass/2011_000025.png']
    ds = VOCDataset(str(tmp_voc), split=write_list(tmp_voc, 'aug', lines), mask_dir='SegmentationClassAug')
    info = ds.get_data_info(0)
    assert info['seg_map_path'].endswith('SegmentationClass/2011_000025.png')
    assert 'scribble_path' not in info
    bad = write_list(tmp_voc, 'three', ['a b c'])
    with pytest.raises(DataError, match=r'three\.txt: line 1'):
        VOCDataset(str(tmp_voc), split=bad)
    missing = write_list(tmp_voc, 'nolabel', ['JPEGImages/2007_000063.jpg pascal_2012_scribble/x.png'])
    with pytest.raises(DataError, match=r'nolabel\.txt: line 1.*x\.png not found'):
        VOCDataset(str(tmp_voc), split=missing)


# ---------------------------------------------------------------------------- points
def test_points_json(tmp_voc):
    pts = {'2007_000063': [{'x': 250, 'y': 200, 'cls': 'dog'}, {'x': 10.7, 'y': 10, 'cls': 0}],
           '2099_000001': [{'x': 1, 'y': 1, 'cls': 1}]}          # ids outside the split: ignored
    (tmp_voc / 'points.json').write_text(json.dumps(pts))
    ds = VOCDataset(str(tmp_voc), split=write_list(tmp_voc, 'p', IDS[:2]), points_file='points.json')
    a, b = ds.get_data_info(0), ds.get_data_info(1)
    assert a['points'].tolist() == [[250, 200], [10, 10]] and a['point_labels'].tolist() == [DOG, 0]
    assert 'points' not in b
    gt = np.asarray(Image.open(a['seg_map_path']))
    assert gt[200, 250] == DOG and gt[10, 10] == 0     # the hand-placed points sit on their class
    for bad, msg in ((dict(x=500, y=10, cls=1), 'outside the image'),
                     (dict(x=5, y=10, cls='unicorn'), 'unknown class name'),
                     (dict(x=5, y=10, cls=21), 'outside 0..20'),
                     (dict(x=5, y=10), 'must have keys')):
        (tmp_voc / 'points.json').write_text(json.dumps({'2007_000063': [bad]}))
        with pytest.raises(DataError, match=rf'points\.json: image 2007_000063.*{msg}'):
            VOCDataset(str(tmp_voc), split='p', points_file='points.json')
    (tmp_voc / 'points.json').write_text('{not json')
    with pytest.raises(DataError, match=r'points\.json: malformed JSON'):
        VOCDataset(str(tmp_voc), split='p', points_file='points.json')


def test_action_xml_points(tmp_voc, tmp_path):
    # modelled on VOC2011 Action 2011_003353.xml: a person with <point><x>256</x><y>252</y>
    extra = '<point><x>256</x><y>252</y></point>'
    x = voc_xml(tmp_voc / 'Annotations' / '2007_000063.xml',
                [dict(name='person', x1=130, y1=45.7, x2=375, y2=350, extra=extra),
                 dict(name='dog', x1=10, y1=10, x2=20, y2=20)])
    p, lab = voc_points_from_action_xml(x)
    assert p.tolist() == [[255, 251]] and lab.tolist() == [PERSON]
    ds = VOCDataset(str(tmp_voc), split=write_list(tmp_voc, 'a', IDS[:1]), with_boxes=True)
    info = ds.get_data_info(0)
    assert info['points'].tolist() == [[255, 251]] and info['point_labels'].tolist() == [PERSON]
    np.testing.assert_allclose(info['boxes'], [[129, 44.7, 375, 350], [9, 9, 20, 20]], atol=1e-4)
    plain = voc_xml(tmp_path / 'plain.xml', [dict(name='dog', x1=10, y1=10, x2=20, y2=20)])
    p, lab = voc_points_from_action_xml(plain)
    assert p.shape == (0, 2) and lab.shape == (0,)
    out = voc_xml(tmp_path / 'out.xml', [dict(name='person', x1=1, y1=1, x2=20, y2=20,
                                              extra='<point><x>501</x><y>10</y></point>')])
    with pytest.raises(DataError, match=r'out\.xml.*outside'):
        voc_points_from_action_xml(out)


# ---------------------------------------------------------------------------- bad inputs
def test_box_check_uses_xml_size(tmp_path):
    # xmax 450 fits a 500-wide image but not the 400x300 the XML declares
    x = voc_xml(tmp_path / 'a.xml', [dict(name='dog', x1=10, y1=10, x2=450, y2=20)], w=400, h=300)
    with pytest.raises(DataError, match=r'400x300'):
        parse_voc_xml(x)
    one_px = voc_xml(tmp_path / 'b.xml', [dict(name='dog', x1=5, y1=5, x2=5, y2=5)])
    np.testing.assert_allclose(parse_voc_xml(one_px)['boxes'], [[4, 4, 5, 5]])  # 1x1 box is valid


def test_split_as_a_path_and_inference_only(tmp_voc):
    # split errors (missing / empty list, missing image or mask): tests/reliability/test_bad_inputs.py
    (tmp_voc / 'list.txt').write_text('2007_000063\n')
    assert len(VOCDataset(str(tmp_voc), split='list.txt')) == 1
    (tmp_voc / 'JPEGImages2').mkdir()
    Image.new('RGB', (8, 8)).save(tmp_voc / 'JPEGImages2' / 'x.jpg')
    assert len(VOCDataset(str(tmp_voc), split=write_list(tmp_voc, 'nomask', ['x']), img_dir='JPEGImages2',
                          mask_dir=None)) == 1
    with pytest.raises(ValueError, match='scribble_unknown'):
        VOCDataset(str(tmp_voc), scribble_unknown='maybe')


def test_class_name_aliases():
    assert voc_class_index('plane') == 1 and voc_class_index('TV/Monitor') == 20
    assert voc_class_index('potted plant') == 16 and voc_class_index('table') == 11
