"""FolderDataset, CamVid, SUIM and ISBI on the real samples (bad images and masks:
tests/reliability/test_bad_inputs.py)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from wsseg.datasets.folder import (MASK_DECODERS, CamVidDataset, FolderDataset, ISBIDataset,
                                   SUIMDataset, binary_to_index, suim_rgb_to_index)
from wsseg.datasets.transforms import LoadImage, LoadMask
from wsseg.registry import DATASETS

CAMVID = ('sky', 'building', 'pole', 'road', 'pavement', 'tree', 'sign_symbol', 'fence', 'car',
          'pedestrian', 'bicyclist')


# ---------------------------------------------------------------------------- CamVid
def test_camvid_counts_classes_and_masks(shared_data):
    train = CamVidDataset(str(shared_data / 'camvid'), split='train')
    val = DATASETS.build(dict(type='CamVidDataset', data_root=str(shared_data / 'camvid'),
                              split='val', pipeline=[LoadImage(), LoadMask()]))
    assert len(train) == 367 and len(val) == 101
    assert train.metainfo['classes'] == CAMVID
    pal = train.metainfo['palette']
    assert pal[0] == [128, 128, 128] and pal[3] == [128, 64, 128] and len(pal) == 11
    info = train.get_data_info(0)
    assert Path(info['seg_map_path']).name == Path(info['img_path']).stem + '.png'
    seen = set()
    for i in range(0, len(val), 4):           # LoadMask checks size and class range 0..10 / 255
        out = val[i]
        assert out['gt_seg_map'].shape == out['img'].shape[:2] == (180, 240)
        seen |= set(np.unique(out['gt_seg_map']).tolist())
    assert seen <= set(range(11)) | {255}
    assert {0, 1, 3} <= seen                  # road scenes show sky, building and road


# ---------------------------------------------------------------------------- SUIM
def test_suim_rgb_to_index_hand_computed():
    colours = np.array([[[0, 0, 0], [0, 0, 255], [0, 255, 0], [0, 255, 255],
                         [255, 0, 0], [255, 0, 255], [255, 255, 0], [255, 255, 255]]], np.uint8)
    assert suim_rgb_to_index(colours).tolist() == [[0, 1, 2, 3, 4, 5, 6, 7]]
    noisy = np.array([[[250, 3, 130], [127, 128, 0], [128, 127, 255]]], np.uint8)
    assert suim_rgb_to_index(noisy).tolist() == [[5, 2, 5]]   # each channel thresholded at 128
    with pytest.raises(ValueError, match='RGB'):
        suim_rgb_to_index(np.zeros((4, 4), np.uint8))
    assert MASK_DECODERS['suim_rgb'] is suim_rgb_to_index


def test_suim_dataset_decodes_real_masks(shared_data):
    ds = SUIMDataset(str(shared_data / 'suim'), pipeline=[LoadImage(), LoadMask()])
    assert len(ds) == 8 and ds.metainfo['classes'] == ('BW', 'HD', 'PF', 'WR', 'RO', 'RI', 'FV', 'SR')
    assert ds.metainfo['palette'][5] == [255, 0, 255]            # RI 101 pink
    for i in range(len(ds)):
        out = ds[i]
        info = ds.get_data_info(i)
        assert info['seg_map_decoder'] == 'suim_rgb' and info['seg_map_path'].endswith('.bmp')
        rgb = np.asarray(Image.open(info['seg_map_path']).convert('RGB'))
        gt = out['gt_seg_map']
        assert gt.shape == out['img'].shape[:2] == rgb.shape[:2]
        # independent count: pixels of exactly the blue diver colour are class HD (1) etc.
        for colour, cls in (((0, 0, 0), 0), ((0, 0, 255), 1), ((255, 0, 255), 5), ((255, 255, 0), 6)):
            exact = (rgb == colour).all(-1)
            assert (gt[exact] == cls).all() and exact.sum() == (gt == cls).sum()


# ---------------------------------------------------------------------------- ISBI
def test_isbi(shared_data):
    ds = ISBIDataset(str(shared_data / 'isbi2012_membrane'), pipeline=[LoadImage(), LoadMask()])
    assert len(ds) == 30 and ds.metainfo['classes'] == ('membrane', 'cell')
    for i in (0, 17):
        out = ds[i]
        raw = np.asarray(Image.open(ds.get_data_info(i)['seg_map_path']))
        assert out['gt_seg_map'].shape == (512, 512)
        np.testing.assert_array_equal(out['gt_seg_map'] == 1, raw == 255)
        assert set(np.unique(out['gt_seg_map'])) == {0, 1}
    assert binary_to_index(np.array([[0, 127, 128, 255]], np.uint8)).tolist() == [[0, 0, 1, 1]]


# ---------------------------------------------------------------------------- generic folder
def make_folder(root: Path, stems=('a', 'b'), split='train', size=(12, 10), mask_size=None):
    (root / 'images' / split).mkdir(parents=True)
    (root / 'masks' / split).mkdir(parents=True)
    for s in stems:
        Image.new('RGB', size, (10, 20, 30)).save(root / 'images' / split / f'{s}.png')
        m = np.zeros((mask_size or size)[::-1], np.uint8)
        m[0, 0] = 2
        Image.fromarray(m).save(root / 'masks' / split / f'{s}.png')
    return root


def test_folder_dataset_basic(tmp_path):
    root = make_folder(tmp_path)
    Image.new('RGB', (12, 10)).save(root / 'images' / 'train' / 'c.JPG')   # upper-case suffix
    Image.fromarray(np.zeros((10, 12), np.uint8)).save(root / 'masks' / 'train' / 'c.png')
    (root / 'images' / 'train' / '.DS_Store').write_bytes(b'\0\1')
    (root / 'images' / 'train' / 'notes.txt').write_text('not an image')
    ds = FolderDataset(str(root), classes=['bg', 'x', 'y'], pipeline=[LoadImage(), LoadMask()])
    assert [ds.get_data_info(i)['img_id'] for i in range(len(ds))] == ['a', 'b', 'c']
    assert ds.metainfo['classes'] == ('bg', 'x', 'y') and len(ds.metainfo['palette']) == 3
    assert ds[0]['gt_seg_map'][0, 0] == 2
    meta = FolderDataset(str(root), metainfo=dict(classes=('bg', 'x', 'y')), mask_dir=None)
    assert meta.get_data_info(0)['seg_map_path'] is None        # inference-only
    with pytest.raises(ValueError, match='no classes'):
        FolderDataset(str(root))
    with pytest.raises(ValueError, match='seg_map_decoder'):
        FolderDataset(str(root), classes=['a'], seg_map_decoder='jpeg_magic')


