"""DeepSeagrass frames and patches on a generated fixture with the real names and sizes."""
from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from wsseg.datasets.deepseagrass import DeepSeagrassFrames, DeepSeagrassPatches
from wsseg.datasets.transforms import LoadImage
from wsseg.registry import DATASETS

FRAME = (4624, 2600)     # W x H, Sony FDR-3000X frames
PATCH = (578, 520)       # W x H, 5 rows x 8 cols of a frame


def jpeg(path: Path, size, colour=(40, 110, 70)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new('RGB', size, colour).save(path, quality=20)    # flat colour: a small file


@pytest.fixture(scope='module')
def frames_root(tmp_path_factory) -> Path:
    """``Images/<Class>/*.JPG`` as in bag-of-seagrass, plus files the loaders must skip."""
    root = tmp_path_factory.mktemp('deepseagrass') / 'SeparatedIntoClasses' / 'Images'
    jpeg(root / 'Strappy' / 'DSC00012.JPG', FRAME)
    jpeg(root / 'Strappy' / 'DSC00013.jpg', FRAME)
    jpeg(root / 'Background' / 'DSC00100.JPG', FRAME, (90, 80, 60))
    jpeg(root / 'Ferny' / 'DSC00200.JPG', FRAME)
    (root / 'Rounded').mkdir()
    (root / 'Strappy' / '.DS_Store').write_bytes(b'\0\0\0\1Bud1')
    (root / 'Strappy' / '._DSC00012.JPG').write_bytes(b'\0\5\26\7 AppleDouble')  # not a JPEG
    (root / 'Strappy' / 'notes.txt').write_text('skip me')
    (root / '.DS_Store').write_bytes(b'\0')
    (root / '_MACOSX').mkdir()
    return root


@pytest.fixture(scope='module')
def patches_root(tmp_path_factory) -> Path:
    """``Test/<Class>/Image<N>_Row<r>_Col<c>.jpg`` 578x520 patches (and a png, a clip label)."""
    root = tmp_path_factory.mktemp('patches')
    split = root / 'Test'
    for name, cls in (('Image0_Row1_Col0.jpg', 'Strappy'), ('Image0_Row4_Col7.jpg', 'Background'),
                      ('Image12_Row0_Col3.png', 'Ferny'), ('Image2_Row2_Col5.jpg', 'Rounded'),
                      ('DSC00012_17.png', 'Rounded')):
        p = split / cls / name
        if p.suffix == '.png':
            p.parent.mkdir(parents=True, exist_ok=True)
            Image.new('RGB', PATCH, (1, 2, 3)).save(p)
        else:
            jpeg(p, PATCH)
    (split / 'Ferny' / '._Image12_Row0_Col3.png').write_bytes(b'junk')
    return root


def test_frames_labels_csiro_order(frames_root):
    with pytest.warns(UserWarning, match=r'Rounded.*holds no image'):
        ds = DeepSeagrassFrames(str(frames_root))
    assert ds.metainfo['classes'] == ('Strappy', 'Ferny', 'Rounded', 'Background')
    got = {ds.get_data_info(i)['img_id']: ds.get_data_info(i)['image_label'] for i in range(len(ds))}
    assert got == {'DSC00100': 3, 'DSC00200': 1, 'DSC00012': 0, 'DSC00013': 0}
    info = ds.get_data_info(0)
    assert info['tags'] == [info['image_label']] and info['seg_map_path'] is None
    assert ds.metainfo['palette'][0] == [255, 165, 0] and ds.metainfo['palette'][3] == [255, 20, 147]


def test_frames_alphabetical_and_reading(frames_root):
    with pytest.warns(UserWarning):
        ds = DATASETS.build(dict(type='DeepSeagrassFrames', data_root=str(frames_root),
                                 class_order='alphabetical', pipeline=[LoadImage()]))
    assert ds.metainfo['classes'] == ('Background', 'Ferny', 'Rounded', 'Strappy')
    got = {ds.get_data_info(i)['img_id']: ds.get_data_info(i)['image_label'] for i in range(len(ds))}
    assert got == {'DSC00100': 0, 'DSC00200': 1, 'DSC00012': 3, 'DSC00013': 3}
    out = ds[0]
    assert out['img'].shape == (2600, 4624, 3)


def test_patches_names_and_labels(patches_root):
    ds = DeepSeagrassPatches(str(patches_root), split='Test', pipeline=[LoadImage()])
    infos = {ds.get_data_info(i)['img_id']: ds.get_data_info(i) for i in range(len(ds))}
    assert set(infos) == {'Image0_Row1_Col0', 'Image0_Row4_Col7', 'Image12_Row0_Col3',
                          'Image2_Row2_Col5', 'DSC00012_17'}
    a = infos['Image0_Row1_Col0']
    assert (a['patch_label'], a['frame_id'], a['row'], a['col']) == (0, 'Image0', 1, 0)
    b = infos['Image12_Row0_Col3']
    assert (b['patch_label'], b['frame_id'], b['row'], b['col']) == (1, 'Image12', 0, 3)
    assert infos['Image0_Row4_Col7']['patch_label'] == 3
    assert 'frame_id' not in infos['DSC00012_17'] and infos['DSC00012_17']['patch_label'] == 2
    assert ds[0]['img'].shape == (520, 578, 3)


def test_five_class_variant_folders(tmp_path):
    # with the default 4 classes 'Substrate' is an unknown folder: tests/reliability/test_bad_inputs.py
    jpeg(tmp_path / 'Strappy' / 'a.jpg', (8, 8))
    jpeg(tmp_path / 'Substrate' / 'b.jpg', (8, 8))     # the 5-class variant's folder
    five = DeepSeagrassPatches(str(tmp_path), class_order=['Strappy', 'Ferny', 'Rounded',
                                                          'Substrate', 'Water'])
    labels = sorted(five.get_data_info(i)['patch_label'] for i in range(len(five)))
    assert labels == [0, 3]


