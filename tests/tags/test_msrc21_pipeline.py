"""configs/pipelines/msrc21_tags_deeplab.py end to end on a few real MSRC-21 images, each
training a few iterations: tags -> CAM classifier -> superpixel-pooled CAM pseudo-masks ->
quality -> mmseg DeepLabV3+ second stage (short schedule) -> val scores. Needs the compiled mmcv."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config

from wsseg.pipeline import run_pipeline
from wsseg.utils.io import read_mask

from ..pipeline.conftest import tiny_schedule

pytest.importorskip('mmcv.ops', reason='mmcv with compiled ops is built by tools/setup_env.sh')
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def msrc_small(shared_data, tmp_path) -> Path:
    """6 train and 2 val images of MSRC-21 in its own layout."""
    src, root = shared_data / 'msrc21', tmp_path / 'msrc21'
    shutil.copy(src / 'classes.txt', root.mkdir(parents=True) or root / 'classes.txt')
    for split, stems in (('train', sorted(p.stem for p in (src / 'images/train').glob('*.png'))[::46][:6]),
                         ('val', sorted(p.stem for p in (src / 'images/val').glob('*.png'))[::29][:2])):
        for sub in ('images', 'masks'):
            (root / sub / split).mkdir(parents=True)
            for s in stems:
                shutil.copy(src / sub / split / f'{s}.png', root / sub / split)
    return root


@pytest.mark.slow      # five stages, each its own process: minutes on a shared CPU
def test_msrc21_tags_deeplab_pipeline_on_real_images(msrc_small, tmp_path):
    cfg = Config.fromfile(str(REPO / 'configs/pipelines/msrc21_tags_deeplab.py'))
    cfg.data_root = str(msrc_small)                        # as --cfg-options data_root=... does
    cfg.pseudo_labels.train.cfg_options.update(tiny_schedule(2, extra={'val_dataloader.dataset.indices': 1}))
    cfg.pseudo_labels.labeller.update(scales=(0.5,), device='cpu')
    cfg.stage2.cfg_options.update(tiny_schedule(2))
    cfg.evaluate = dict(cfg_options={'test_dataloader.num_workers': 0,
                                     'test_dataloader.persistent_workers': False})
    recs = run_pipeline(cfg, tmp_path / 'work')
    assert [r['status'] for r in recs.values()] == ['done'] * 5
    masks = sorted((tmp_path / 'work/pseudo_labels/masks').glob('*.png'))
    assert len(masks) == 6
    for m in masks:                                      # only the image's own tags, or undecided
        gt = read_mask(msrc_small / 'masks/train' / m.name)
        assert set(np.unique(read_mask(m)).tolist()) <= set(np.unique(gt).tolist()) | {255}
    q = recs['quality']['outputs']['metrics']
    assert 0 <= q['mIoU'] <= 100 and 0 <= q['labelled_fraction'] <= 1
    ev = recs['evaluate']['outputs']['metrics']
    assert all(0 <= ev[k] <= 100 for k in ('mIoU', 'mAcc', 'aAcc'))


def test_msrc21_crossimage_pipeline_until_quality(msrc_small, tmp_path):
    """configs/pipelines/msrc21_tags_crossimage_deeplab.py through its first three stages: the CAM
    classifier, then refinement (d) over all 6 train images through tools/pseudo_label.py, then
    the masks scored. Every pixel is decided, with one of the image's own tags."""
    cfg = Config.fromfile(str(REPO / 'configs/pipelines/msrc21_tags_crossimage_deeplab.py'))
    assert cfg.pseudo_labels.labeller.type == 'CrossImageCamLabeller'
    assert cfg.stage2 == Config.fromfile(str(REPO / 'configs/pipelines/msrc21_tags_deeplab.py')).stage2
    cfg.data_root = str(msrc_small)
    cfg.pseudo_labels.train.cfg_options.update(tiny_schedule(2, extra={'val_dataloader.dataset.indices': 1}))
    cfg.pseudo_labels.labeller.update(scales=(0.5,), n_segments=50, rounds=2, device='cpu')
    recs = run_pipeline(cfg, tmp_path / 'work', until='quality')
    assert [r['status'] for r in recs.values()] == ['done'] * 3
    masks = sorted((tmp_path / 'work/pseudo_labels/masks').glob('*.png'))
    assert len(masks) == 6
    for m in masks:
        gt = read_mask(msrc_small / 'masks/train' / m.name)
        assert set(np.unique(read_mask(m)).tolist()) <= set(np.unique(gt).tolist()) - {255}
    assert recs['quality']['outputs']['metrics']['labelled_fraction'] == 1.0
