"""The embedded demo data: scenes and seagrass frames."""
from __future__ import annotations

import json
import re
import time

import numpy as np
import pytest
from PIL import Image

from wsseg.datasets.synthetic import (SCENE_CLASSES, export_seagrass_patches, make_scenes,
                                      make_seagrass_frames, patch_majority)


def _read(p):
    with Image.open(p) as im:
        return im.mode, np.asarray(im)


@pytest.fixture(scope='module')
def scenes(tmp_path_factory):
    out = tmp_path_factory.mktemp('scenes')
    t = time.perf_counter()
    summary = make_scenes(out, splits={'train': 24, 'val': 6}, size=(64, 80), seed=3)
    return out, summary, time.perf_counter() - t


@pytest.fixture(scope='module')
def seagrass(tmp_path_factory):
    out = tmp_path_factory.mktemp('seagrass')
    summary = make_seagrass_frames(out, 10, seed=5, background_fraction=0.2,
                                   patch_splits={'train': 0.6, 'val': 0.2, 'test': 0.2})
    return out, summary


# ------------------------------------------------------------------ scenes
def test_scene_layout_and_masks(scenes):
    out, summary, _ = scenes
    assert summary['n_images'] == 30 and summary['splits'] == {'train': 24, 'val': 6}
    assert (out / 'classes.txt').read_text().split() == list(SCENE_CLASSES)
    meta = json.loads((out / 'meta.json').read_text())
    assert meta['classes'] == list(SCENE_CLASSES) and meta['seed'] == 3
    for split, count in (('train', 24), ('val', 6)):
        imgs = sorted((out / 'images' / split).glob('*.png'))
        assert len(imgs) == count
        for p in imgs:
            mode, img = _read(p)
            mmode, mask = _read(out / 'masks' / split / p.name)
            _, inst = _read(out / 'instances' / split / p.name)
            assert mode == 'RGB' and img.shape == (64, 80, 3)
            assert mmode == 'P' and mask.shape == img.shape[:2] == inst.shape
            assert mask.max() < len(SCENE_CLASSES)
            # instances cover exactly the object pixels, each with its class and box
            np.testing.assert_array_equal(inst > 0, mask > 0)
            for obj in meta['images'][split][p.stem]['instances']:
                sel = inst == obj['id']
                assert sel.any() and (mask[sel] == obj['label']).all()
                ys, xs = np.nonzero(sel)
                assert obj['box'] == [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]


def test_scene_class_frequencies_are_non_trivial(scenes):
    out, summary, _ = scenes
    freq = summary['class_pixel_freq']
    assert sum(freq.values()) == pytest.approx(1.0)
    for c in SCENE_CLASSES:
        assert freq[c] > 0.02, c
        assert summary['class_image_count'][c] >= 3, c
    assert freq['background'] < 0.9
    # the summary agrees with the masks on disk
    masks = [_read(p)[1] for p in sorted((out / 'masks').rglob('*.png'))]
    counts = np.bincount(np.concatenate([m.ravel() for m in masks]), minlength=5)
    np.testing.assert_allclose(counts / counts.sum(), [freq[c] for c in SCENE_CLASSES])


def test_scene_objects_are_textured(scenes):
    """Inside an object the pixels vary (texture), and object colours differ from background."""
    out, _, _ = scenes
    _, img = _read(out / 'images' / 'train' / 'scene_00000.png')
    _, mask = _read(out / 'masks' / 'train' / 'scene_00000.png')
    c = int(np.bincount(mask[mask > 0]).argmax())
    assert img[mask == c].std(0).mean() > 8


def test_scenes_are_deterministic(tmp_path, scenes):
    _, _, seconds = scenes
    assert seconds < 20                    # 30 small images; far below a second when idle
    a, b, c = tmp_path / 'a', tmp_path / 'b', tmp_path / 'c'
    make_scenes(a, 4, size=(32, 32), seed=7)
    make_scenes(b, 4, size=(32, 32), seed=7)
    make_scenes(c, 4, size=(32, 32), seed=8)
    for p in sorted(a.rglob('*.png')):
        rel = p.relative_to(a)
        assert p.read_bytes() == (b / rel).read_bytes(), rel
    assert any(p.read_bytes() != (c / p.relative_to(a)).read_bytes() for p in a.rglob('images/*/*.png'))


def test_scene_argument_errors(tmp_path):
    with pytest.raises(ValueError, match='sum to 3'):
        make_scenes(tmp_path, 5, splits={'train': 2, 'val': 1})
    with pytest.raises(ValueError, match='give n or splits'):
        make_scenes(tmp_path)
    with pytest.raises(ValueError, match='at least one object class'):
        make_scenes(tmp_path, 1, classes=('background',))


# ------------------------------------------------------------------ seagrass
CLASSES = ['Strappy', 'Ferny', 'Rounded', 'Background']


def test_seagrass_layout_and_labels(seagrass):
    out, summary = seagrass
    meta = json.loads((out / 'labels.json').read_text())
    assert meta['classes'] == CLASSES == summary['classes']
    assert (out / 'classes.txt').read_text().split() == CLASSES
    frames = sorted((out / 'frames').rglob('*.jpg'))
    assert len(frames) == 10
    assert summary['frame_labels']['Background'] == 2            # round(10 * 0.2)
    assert sum(summary['frame_labels'].values()) == 10
    for f in frames:
        fid, label = f.stem, f.parent.name
        assert re.fullmatch(r'Image\d+', fid)
        assert meta['frames'][fid]['label'] == label
        mode, img = _read(f)
        assert mode == 'RGB' and img.shape == (260, 464, 3)
        mmode, truth = _read(out / 'pixel_masks' / f'{fid}.png')
        assert mmode == 'P' and truth.shape == (260, 464)
        vals = set(np.unique(truth).tolist())
        if label == 'Background':
            assert vals == {3}
        else:
            assert vals == {CLASSES.index(label), 3}                 # only its species + background


def test_patch_truth_is_majority_of_pixel_truth(seagrass):
    out, summary = seagrass
    meta = json.loads((out / 'labels.json').read_text())
    mixed = 0
    for fid, info in meta['frames'].items():
        truth = _read(out / 'pixel_masks' / f'{fid}.png')[1]
        labels = np.load(out / 'patch_labels' / f'{fid}.npy')
        assert labels.shape == (5, 8)
        np.testing.assert_array_equal(labels, info['patch_labels'])
        for r in range(5):
            for c in range(8):
                cell = truth[r * 52:(r + 1) * 52, c * 58:(c + 1) * 58]
                counts = np.bincount(cell.ravel(), minlength=4)
                assert counts[labels[r, c]] == counts.max()
                mixed += int((counts > 0).sum() > 1)
    assert mixed >= 10            # seagrass regions ignore patch boundaries
    assert 0.1 < summary['patch_freq']['Background'] < 0.9


def test_patch_majority_ties_go_to_lower_index():
    t = np.array([[2, 2, 0, 1], [1, 1, 0, 1]], np.uint8)     # grid 1x2 of 2x2 cells
    np.testing.assert_array_equal(patch_majority(t, (1, 2), 3), [[1, 0]])
    with pytest.raises(ValueError, match='grid'):
        patch_majority(t, (3, 2), 3)


def test_seagrass_patch_export(seagrass, tmp_path):
    out, summary = seagrass
    meta = json.loads((out / 'labels.json').read_text())
    patches = sorted((out / 'patches').rglob('*.jpg'))
    assert len(patches) == 10 * 40
    frames_per_split = {}
    for p in patches:
        split, cls = p.parts[-3], p.parts[-2]
        m = re.fullmatch(r'(Image\d+)_Row(\d)_Col(\d)', p.stem)
        assert m, p.name
        fid, r, c = m.group(1), int(m.group(2)), int(m.group(3))
        assert CLASSES[meta['frames'][fid]['patch_labels'][r][c]] == cls
        frames_per_split.setdefault(split, set()).add(fid)
    assert {len(v) for v in frames_per_split.values()} == {6, 2} and len(frames_per_split) == 3
    a, b, c = frames_per_split.values()
    assert not (a & b or a & c or b & c)                       # a frame feeds one split only
    assert _read(patches[0])[1].shape == (52, 58, 3)
    counts = export_seagrass_patches(out, {'all': 1.0}, out_dir=tmp_path / 'p')
    assert sum(counts['all'].values()) == 400
    assert counts['all'] == {k: sum(1 for _ in (tmp_path / 'p' / 'all' / k).glob('*.jpg')) for k in CLASSES}


def test_seagrass_is_deterministic_and_seeded(tmp_path):
    kw = dict(grid=(2, 3), patch=(20, 24), background_fraction=0.5)
    make_seagrass_frames(tmp_path / 'a', 3, seed=1, **kw)
    make_seagrass_frames(tmp_path / 'b', 3, seed=1, **kw)
    make_seagrass_frames(tmp_path / 'c', 3, seed=2, **kw)
    files = sorted(p.relative_to(tmp_path / 'a') for p in (tmp_path / 'a').rglob('*') if p.is_file())
    assert len(files) == 3 * 3 + 2
    for rel in files:
        assert (tmp_path / 'a' / rel).read_bytes() == (tmp_path / 'b' / rel).read_bytes(), rel
    assert any((tmp_path / 'a' / rel).read_bytes() != (tmp_path / 'c' / rel).read_bytes()
               for rel in files if rel.suffix == '.png' or rel.suffix == '.jpg')
    assert _read(next((tmp_path / 'a' / 'frames').rglob('*.jpg')))[1].shape == (40, 72, 3)
