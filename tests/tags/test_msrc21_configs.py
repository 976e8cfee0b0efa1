"""The MSRC-21 row configs take a real training step, and the tags path's second stage trains
through mmengine's Runner on a pseudo-mask folder (short schedule) and reports mIoU/mAcc/aAcc."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from wsseg.registry import DATASETS, MODELS
from wsseg.utils.io import read_mask, write_png_atomic

from tests.test_benchmark_configs import use_random_trunk

REPO = Path(__file__).resolve().parents[2]
ROWS = ['configs/msrc21/full_ce.py', 'configs/msrc21/scribbles_pce.py', 'configs/msrc21/points_pce.py',
        'configs/msrc21/boxes_scribbles_logic.py', 'configs/cam/msrc21_tags_cam.py',
        'configs/ssl/msrc21/full_ce.py', 'configs/ssl/msrc21/tags_cam.py']


def test_msrc21_dataset_base_alone_gives_the_splits_and_classes(shared_data):
    """configs/_base_/datasets/msrc21.py, the part a user puts under their own model: its
    loaders read the 276 / 58 images, its class names are those of classes.txt, and its metric
    counts all 21."""
    cfg = Config.fromfile(str(REPO / 'configs/_base_/datasets/msrc21.py'))
    sizes = {}
    for part in ('train_dataloader', 'val_dataloader'):
        ds_cfg = cfg[part].dataset
        ds_cfg.data_root = str(shared_data / 'msrc21')
        sizes[ds_cfg.split] = len(DATASETS.build(ds_cfg))
    assert sizes == {'train': 276, 'val': 58}
    names = (shared_data / 'msrc21' / 'classes.txt').read_text().split()
    assert list(cfg.classes) == names
    assert cfg.val_evaluator.num_classes == len(names) == 21


@pytest.mark.parametrize('config', ROWS)
def test_msrc21_row_takes_a_training_step(config, shared_data, tmp_path):
    cfg = Config.fromfile(str(REPO / config))
    if cfg.get('trunk'):                     # SSL rows: a random trunk of the same architecture
        use_random_trunk(cfg, tmp_path)
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.data_root = str(shared_data / 'msrc21')
    ds_cfg.indices = 2
    ds = DATASETS.build(ds_cfg)
    np.random.seed(1)      # the crops (np.random): the same two crops whatever ran before, both holding points
    batch = pseudo_collate([ds[0], ds[1]])
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).train()
    losses = model(**model.data_preprocessor(batch, training=True), mode='loss')
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    assert torch.isfinite(total) and total > 0, (config, losses)
    total.backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_tags_stage2_short_schedule_on_pseudo_masks(shared_data, tmp_path):
    """configs/msrc21/tags_stage2.py: 4 real train images, pseudo-masks = their true masks with
    60% of pixels undecided, 3 iterations with the CRF loss on from the start, val on 2 images."""
    from mmengine.runner import Runner
    src = shared_data / 'msrc21'
    root = tmp_path / 'data'
    rng = np.random.default_rng(0)
    stems = sorted(p.stem for p in (src / 'images' / 'train').glob('*.png'))[::70][:4]
    for s in stems:
        (root / 'images' / 'train').mkdir(parents=True, exist_ok=True)
        shutil.copy(src / 'images' / 'train' / f'{s}.png', root / 'images' / 'train')
        m = read_mask(src / 'masks' / 'train' / f'{s}.png')
        m[rng.random(m.shape) < 0.6] = 255
        write_png_atomic(tmp_path / 'pseudo' / f'{s}.png', m)
    cfg = Config.fromfile(str(REPO / 'configs/msrc21/tags_stage2.py'))
    cfg.work_dir = str(tmp_path / 'work')
    tr = cfg.train_dataloader
    tr.dataset.update(data_root=str(root), pseudo_mask_dir=str(tmp_path / 'pseudo'))
    tr.update(batch_size=2, num_workers=0, persistent_workers=False)
    cfg.val_dataloader.dataset.update(data_root=str(src), indices=2)
    cfg.val_dataloader.update(num_workers=0, persistent_workers=False)
    cfg.test_dataloader = cfg.val_dataloader
    cfg.model.losses[1].update(start_iter=0, ramp_iters=0)
    cfg.model.net.aspp_channels = 32
    cfg.train_cfg.max_iters = cfg.train_cfg.val_interval = 3
    cfg.param_scheduler[0].end = 3
    cfg.default_hooks.checkpoint.interval = 3
    cfg.default_hooks.logger.interval = 1
    cfg.log_processor = dict(by_epoch=False, window_size=1)
    runner = Runner.from_cfg(cfg)
    runner.train()
    recs = [json.loads(line) for f in (tmp_path / 'work').glob('*/vis_data/scalars.json')
            for line in f.read_text().splitlines()]
    train = [r for r in recs if 'loss' in r]
    assert len(train) == 3 and all('loss_crf' in r and np.isfinite(r['loss']) for r in train), train
    val = [r for r in recs if 'mIoU' in r][-1]
    assert all(0 <= val[k] <= 100 for k in ('mIoU', 'mAcc', 'aAcc'))


def test_msrc21_ssl_pretraining_reads_train_images_only(shared_data):
    """The SSL trunk of the MSRC-21 rows sees the 276 train images and none of val."""
    cfg = Config.fromfile(str(REPO / 'configs/ssl/msrc21_densecl.py'))
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.folders = [str(shared_data / Path(f).relative_to('../shared/data')) for f in ds_cfg.folders]
    ds = DATASETS.build(ds_cfg)
    names = {Path(p).name for p in ds.files}
    val = {p.name for p in (shared_data / 'msrc21' / 'images' / 'val').glob('*.png')}
    assert len(names) == 276 and not names & val
    assert cfg.train_cfg.max_iters == cfg.param_scheduler[0].T_max == ds_cfg.length // cfg.batch_size


CAM_CONFIGS = sorted(p for p in (REPO / 'configs/cam').glob('*.py') if not p.name.startswith('_'))


@pytest.mark.parametrize('path', CAM_CONFIGS, ids=[p.stem for p in CAM_CONFIGS])
def test_cam_classifier_schedule_is_consistent(path):
    """A longer CAM classifier (e.g. msrc21_tags_cam_long.py) restates its schedule: the poly decay
    ends where training does and validation and checkpoints fall inside it. A base variable is
    not re-evaluated, so a derived config that only changed ``max_iters`` would fail here.
    (The folder also holds a tags row's second stage, camvid_tags_cam_stage2.py: the same check.)"""
    cfg = Config.fromfile(str(path))
    iters = cfg.train_cfg.max_iters
    (poly,) = [s for s in cfg.param_scheduler if s.type == 'PolyLR']
    assert poly.end == iters, path.name
    assert cfg.train_cfg.val_interval <= iters and iters % cfg.default_hooks.checkpoint.interval == 0, path.name


@pytest.mark.parametrize('chain, classifier', [
    ('msrc21_tags_crossimage_camlong_deeplab.py', 'configs/cam/msrc21_tags_cam_long.py'),
    ('msrc21_tags_crossimage_camms_deeplab.py', 'configs/cam/msrc21_tags_cam_ms.py'),
    ('msrc21_tags_crossimage_camms_narrow_deeplab.py', 'configs/cam/msrc21_tags_cam_ms_narrow.py')])
def test_cam_classifier_chains_differ_only_by_their_cam_classifier(chain, classifier):
    """The (d) chains with another CAM classifier (1200 iterations; 1200 iterations at several
    scales) are the (d) chain with that classifier and CAMs at three scales: the same labeller
    otherwise, the same quality and stage 2, their own work_dir."""
    base = Config.fromfile(str(REPO / 'configs/pipelines/msrc21_tags_crossimage_deeplab.py'))
    other = Config.fromfile(str(REPO / 'configs/pipelines' / chain))
    assert other.pseudo_labels.train.config == classifier
    assert Config.fromfile(str(REPO / classifier)).train_cfg.max_iters == 1200
    for key in ('cfg_options', 'weak_loader'):
        assert other.pseudo_labels.train[key] == base.pseudo_labels.train[key], key
    lab = dict(other.pseudo_labels.labeller)
    assert lab.pop('scales') == (0.4, 0.6, 0.8)          # the long classifier's CAMs gain from a third scale
    assert lab == {k: v for k, v in base.pseudo_labels.labeller.items() if k != 'scales'}
    assert other.pseudo_labels.dataset == base.pseudo_labels.dataset
    for key in ('weak_labels', 'quality', 'stage2', 'evaluate'):
        assert other[key] == base[key], key
    assert other.work_dir != base.work_dir


@pytest.mark.parametrize('name, short_side', [('msrc21_tags_cam_ms.py', (64, 192)),
                                               ('msrc21_tags_cam_ms_narrow.py', (96, 160))])
def test_multiscale_cam_classifier_differs_only_by_its_resize(name, short_side):
    """The multi-scale classifiers are the 1200-iteration one with the fixed 128-pixel Resize
    swapped for RandomResize; model, schedule and the rest of the pipeline are the same."""
    long = Config.fromfile(str(REPO / 'configs/cam/msrc21_tags_cam_long.py'))
    ms = Config.fromfile(str(REPO / 'configs/cam' / name))
    pipe_long, pipe_ms = long.train_dataloader.dataset.pipeline, ms.train_dataloader.dataset.pipeline
    (i,) = [i for i, t in enumerate(pipe_long) if t.type == 'Resize']
    assert pipe_ms[i] == dict(type='RandomResize', short_side=short_side)
    assert pipe_ms[:i] + pipe_ms[i + 1:] == pipe_long[:i] + pipe_long[i + 1:]
    for key in ('model', 'train_cfg', 'param_scheduler', 'optim_wrapper', 'val_dataloader'):
        assert ms[key] == long[key], key


LOADING = ('LoadImage', 'LoadMask', 'LoadWeakLabels')


@pytest.mark.parametrize('chain', sorted(p.name for p in (REPO / 'configs/pipelines').glob('msrc21_tags_*.py')))
def test_chain_trains_its_cam_classifier_with_the_classifier_s_own_augmentation(chain):
    """A chain swaps the classifier's tag loading for one that reads stage 1's stored tags. The
    other steps (resize, flip, packing) must stay the classifier config's own (a multi-scale
    classifier once trained at one scale in a chain that restated its pipeline), and no step may
    load the true masks."""
    from wsseg.pipeline.stages import PseudoLabelsStage, load_config
    spec = Config.fromfile(str(REPO / 'configs/pipelines' / chain)).pseudo_labels.to_dict()
    for train in PseudoLabelsStage.trainings(spec):
        own = Config.fromfile(str(REPO / train['config'])).train_dataloader.dataset.pipeline
        in_chain = load_config(train).train_dataloader.dataset.pipeline
        assert [t for t in in_chain if t['type'] not in LOADING] == \
            [t for t in own if t['type'] not in LOADING], (chain, train['config'])
        assert [t['type'] for t in in_chain if t['type'] in LOADING] == ['LoadImage', 'LoadWeakLabels']
        (load,) = [t for t in in_chain if t['type'] == 'LoadWeakLabels']
        assert [s['type'] for s in load['sources']] == ['StoredWeakLabels'], chain


def test_ensemble_chain_is_the_long_chain_with_two_classifier_seeds():
    """The ensemble chain trains the 1200-iteration classifier twice (seeds 0 and 1, the long
    chain's options otherwise) and labels with both; the rest is the long chain."""
    base = Config.fromfile(str(REPO / 'configs/pipelines/msrc21_tags_crossimage_camlong_deeplab.py'))
    ens = Config.fromfile(str(REPO / 'configs/pipelines/msrc21_tags_crossimage_camlong_ens_deeplab.py'))
    one = base.pseudo_labels.train
    assert [t.name for t in ens.pseudo_labels.train] == ['cam_s0', 'cam_s1']
    for seed, t in enumerate(ens.pseudo_labels.train):
        assert t.config == one.config and t.weak_loader == one.weak_loader
        assert t.cfg_options == dict(one.cfg_options, **{'randomness.seed': seed})
    lab = dict(ens.pseudo_labels.labeller)
    assert lab.pop('checkpoint') == '${checkpoint_cam_s0}' and lab.pop('ensemble') == ['${checkpoint_cam_s1}']
    assert lab == base.pseudo_labels.labeller and ens.pseudo_labels.dataset == base.pseudo_labels.dataset
    for key in ('weak_labels', 'quality', 'stage2', 'evaluate'):
        assert ens[key] == base[key], key
    assert ens.work_dir != base.work_dir
