"""Frames composed from benthic patches: seeded, no patch in two splits, label = dominant group,
clear errors, and one short training run on the real patches."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from wsseg.datasets.benthic import compose_benthic_frames, resolve_grouping
from wsseg.utils.io import DataError, read_mask

REPO = Path(__file__).resolve().parents[2]
CLASSES = {'KE_sugar': 25, 'KE_stipe': 25, 'RE_fil': 20, 'RE_branch': 20, 'RE_bush': 10, 'RE_leaf': 25,
           'GR_ulva': 25, 'SU_sand': 30, 'SU_cob': 30, 'MS': 5}
SMALL = dict(frames_per_group={'train': 4, 'val': 2, 'test': 2}, dominant=(6, 10), grid=(3, 4), patch_size=8,
             progress=False)


def make_patches(root: Path, counts: dict[str, int] = CLASSES) -> Path:
    rng = np.random.default_rng(0)
    for ci, (c, n) in enumerate(counts.items()):
        (root / c).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            img = np.clip(rng.normal(20 * ci, 8, (12, 12, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(img).save(root / c / f'{c}_{i:03d}.jpg')
    return root


@pytest.fixture(scope='module')
def patches(tmp_path_factory) -> Path:
    return make_patches(tmp_path_factory.mktemp('benthic_patches'))


def frames_of(out: Path) -> dict[str, dict]:
    return {s: json.loads((out / s / 'labels.json').read_text())['frames'] for s in ('train', 'val', 'test')}


def test_composition_is_seeded(patches, tmp_path):
    compose_benthic_frames(patches, tmp_path / 'a', seed=3, **SMALL)
    a = frames_of(tmp_path / 'a')
    compose_benthic_frames(patches, tmp_path / 'b', seed=3, **SMALL)
    compose_benthic_frames(patches, tmp_path / 'c', seed=4, **SMALL)
    assert a == frames_of(tmp_path / 'b')
    assert a != frames_of(tmp_path / 'c')
    f = next(iter(a['train']))
    img_a = np.asarray(Image.open(next((tmp_path / 'a' / 'train' / 'frames').rglob(f'{f}.jpg'))))
    img_b = np.asarray(Image.open(next((tmp_path / 'b' / 'train' / 'frames').rglob(f'{f}.jpg'))))
    assert img_a.shape == (3 * 8, 4 * 8, 3) and np.array_equal(img_a, img_b)


def test_no_patch_in_two_splits(patches, tmp_path):
    compose_benthic_frames(patches, tmp_path / 'f', **SMALL)
    frames = frames_of(tmp_path / 'f')
    used = {s: {src for fr in v.values() for src in fr['sources']} for s, v in frames.items()}
    exported = {s: {p.name for p in (tmp_path / 'f' / s / 'patches').rglob('*.jpg')} for s in frames}
    for s, t in (('train', 'val'), ('train', 'test'), ('val', 'test')):
        assert not used[s] & used[t], (s, t)
        assert not exported[s] & exported[t], (s, t)
    for s, v in frames.items():
        assert {Path(x).name for x in used[s]} <= exported[s]
        for fr in v.values():
            assert len(set(fr['sources'])) == len(fr['sources'])      # no patch twice in one frame
    # MS is in no group: never used
    assert not any(x.startswith('MS/') for u in used.values() for x in u)


def test_label_is_the_dominant_group(patches, tmp_path):
    summary = compose_benthic_frames(patches, tmp_path / 'f', **SMALL)
    classes = summary['classes']
    assert classes == ['Strappy', 'Ferny', 'Rounded', 'Background']
    owner = {c: g for g, cs in summary['groups'].items() for c in cs}
    for split, frames in frames_of(tmp_path / 'f').items():
        counts = {g: 0 for g in classes}
        for fid, fr in frames.items():
            lab, k = fr['label'], fr['label_index']
            counts[lab] += 1
            truth = np.asarray(fr['patch_labels'])
            assert (tmp_path / 'f' / split / 'frames' / lab / f'{fid}.jpg').is_file()
            assert np.array_equal(np.load(tmp_path / 'f' / split / 'patch_labels' / f'{fid}.npy'), truth)
            assert [classes.index(owner[s.split('/')[0]]) for s in fr['sources']] == truth.ravel().tolist()
            assert np.bincount(truth.ravel(), minlength=4).argmax() == k
            if lab == 'Background':
                assert (truth == 3).all()
            else:
                assert set(np.unique(truth)) <= {k, 3}
                assert 6 <= (truth == k).sum() <= 10
                assert ndimage.label(truth == k)[1] == 1                 # one 4-connected region
            mask = read_mask(tmp_path / 'f' / split / 'pixel_masks' / f'{fid}.png')
            assert np.array_equal(mask, np.kron(truth, np.ones((8, 8), int)))
        assert set(counts.values()) == {SMALL['frames_per_group'][split]}


def test_frames_are_cached_and_recomposed_when_asked_otherwise(patches, tmp_path):
    out = tmp_path / 'f'
    compose_benthic_frames(patches, out, **SMALL)
    stamp = (out / 'compose.json').stat().st_mtime_ns
    compose_benthic_frames(patches, out, **SMALL)
    assert (out / 'compose.json').stat().st_mtime_ns == stamp
    summary = compose_benthic_frames(patches, out, **dict(SMALL, grouping='classes', grid=(2, 2), dominant=(1, 1)))
    assert summary['classes'] == sorted(c for c in CLASSES)
    assert json.loads((out / 'compose.json').read_text())['params']['grouping'] == 'classes'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['f']          # no temporary folder left


def test_empty_class_folder_is_an_error(tmp_path):
    root = make_patches(tmp_path / 'p', {'KE_a': 3, 'SU_sand': 3})
    (root / 'RE_empty').mkdir()
    with pytest.raises(DataError, match=r"RE_empty.*holds no image"):
        compose_benthic_frames(root, tmp_path / 'f', grouping={'Strappy': ['KE_*'], 'Background': ['SU_*']}, **SMALL)


def test_grouping_naming_a_missing_class_is_an_error(patches, tmp_path):
    with pytest.raises(DataError, match=r"'Ferny' names 'RE_fern'.*matches no class folder"):
        compose_benthic_frames(patches, tmp_path / 'f', grouping={'Ferny': ['RE_fern'], 'Background': ['SU_*']},
                               **SMALL)
    with pytest.raises(DataError, match='in two groups'):
        resolve_grouping({'A': ['RE_*'], 'B': ['RE_fil']}, list(CLASSES))


def test_asking_more_patches_than_a_split_holds_is_an_error(patches, tmp_path):
    # Strappy = KE_sugar + KE_stipe: 4 + 4 test patches; one frame asks for up to 10
    with pytest.raises(DataError, match=r"split 'test': group 'Strappy' \(KE_stipe, KE_sugar\) holds 8 patches.*asks for 10"):
        compose_benthic_frames(patches, tmp_path / 'f', **dict(SMALL, splits={'train': 0.85, 'test': 0.15},
                                                                frames_per_group={'train': 1, 'test': 1}))
    with pytest.raises(DataError, match=r"split 'train'.*reuse=False"):
        compose_benthic_frames(patches, tmp_path / 'g', **dict(SMALL, reuse=False,
                                                                frames_per_group={'train': 9, 'val': 1, 'test': 1}))
    assert not (tmp_path / 'f').exists() and not (tmp_path / 'g').exists()


def test_short_training_on_real_patches(shared_data, tmp_path):
    """SeaFeats (the benthic config, its templates and pseudo-labels) trains one epoch on frames
    composed from the real patches, and tests with per-class F1 and pixel scores."""
    import torch
    from mmengine.config import Config
    from mmengine.runner import Runner
    torch.manual_seed(0)
    cfg = Config.fromfile(str(REPO / 'configs/benthic/seafeats_random_init_benthic.py'))
    root = tmp_path / 'frames'
    small = dict(cfg.composition, frames_per_group={'train': 2, 'test': 1}, splits={'train': 0.6, 'test': 0.4},
                 patch_size=16, export_patches=False, progress=False)
    for dl in (cfg.train_dataloader, cfg.val_dataloader):
        dl.batch_size = 4
        dl.dataset.update(patch_root=str(shared_data / 'benthic_patches'), data_root=str(root), composition=small)
        for t in dl.dataset.pipeline:
            if t['type'] == 'LoadPatchTruth':
                t['truth_dir'] = t['truth_dir'].replace(cfg.data_root, str(root))
    cfg.val_evaluator[1].mask_dir = str(root / 'test' / 'pixel_masks')
    cfg.test_dataloader, cfg.test_evaluator = cfg.val_dataloader, cfg.val_evaluator
    cfg.work_dir = str(tmp_path / 'wd')
    cfg.train_cfg.update(max_epochs=1, val_interval=1)
    cfg.default_hooks.checkpoint = None
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.model.template_valid.all()
    metrics = runner.test()
    assert {'accuracy', 'macro_F1', 'weighted_F1', 'F1.Strappy', 'F1.Background', 'patch_mIoU',
            'pixel_mIoU.coarse', 'pixel_mIoU.crf'} <= set(metrics)
    # the patch truth painted to pixels: the painted patch map scores its patch mIoU exactly
    assert metrics['pixel_mIoU.coarse'] == pytest.approx(metrics['patch_mIoU'], abs=1e-6)
    assert len(list((tmp_path / 'wd' / 'pseudo_labels').glob('*.npy'))) == 8
    assert len(list((tmp_path / 'wd' / 'patch_maps').glob('*.png'))) == 4


@pytest.mark.parametrize('config', sorted(p.name for p in (REPO / 'configs/benthic').glob('*.py') if p.name != '_base_.py'))
def test_benthic_configs_agree_on_the_classes(config):
    """Every model (and every ensemble member) has one output per group of the grouping line."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(REPO / 'configs/benthic' / config))
    assert cfg.train_dataloader.dataset.type == 'BenthicFrames'
    models = [m.model for m in cfg.model.members] if cfg.model.type == 'PatchEnsemble' else [cfg.model]
    assert [m.num_classes for m in models] == [len(cfg.classes)] * len(models)
    assert cfg.classes[-1] == 'Background'
