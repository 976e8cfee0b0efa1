"""Tiny mmengine training runs of the patch classifier (truth labels, SeaFeats)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from mmengine.runner import Runner

from wsseg.datasets.synthetic import make_seagrass_frames
from wsseg.patch.runs import retarget

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope='module')
def synth(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp('seagrass')
    make_seagrass_frames(root / 'train', 8, patch=(8, 12), seed=0)
    make_seagrass_frames(root / 'test', 4, patch=(8, 12), seed=1)
    return root


def losses(work_dir: Path) -> list[float]:
    files = sorted(work_dir.glob('*/vis_data/scalars.json'))
    recs = [json.loads(x) for x in files[-1].read_text().splitlines() if x.strip()]
    return [r['loss'] for r in recs if 'loss' in r]


def test_patch_supervised_loss_falls(synth, tmp_path):
    torch.manual_seed(0)
    cfg = retarget(REPO / 'configs/seafeats/patch_supervised_synth.py', synth, tmp_path / 'wd', max_epochs=5,
                   batch_size=4)
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = None         # no 130 MB writes in a unit test
    cfg.train_cfg.val_interval = 100
    cfg.optim_wrapper.optimizer.lr = 1e-3
    runner = Runner.from_cfg(cfg)
    runner.train()
    curve = losses(tmp_path / 'wd')
    assert len(curve) >= 10
    assert sum(curve[-3:]) / 3 < 0.8 * sum(curve[:3]) / 3, curve


def test_seafeats_run_templates_and_patch_maps(synth, tmp_path):
    torch.manual_seed(0)
    cfg = retarget(REPO / 'configs/seafeats/seafeats_random_init_synth.py', synth, tmp_path / 'wd', max_epochs=1,
                   batch_size=4)
    cfg.default_hooks.checkpoint = None
    cfg.train_cfg.val_interval = 100
    runner = Runner.from_cfg(cfg)
    runner.train()
    model = runner.model
    assert model.template_valid.all()
    assert torch.allclose(model.templates.norm(dim=1), model.templates.norm(dim=1).clamp(0, 1 + 1e-5))
    assert 0.0 <= model.last_bg_share <= 1.0
    metrics = runner.test()
    assert {'accuracy', 'macro_F1', 'weighted_F1', 'F1.Background'} <= set(metrics)
    maps = sorted((tmp_path / 'wd' / 'patch_maps').glob('*.png'))
    assert len(maps) == 4
    from PIL import Image
    assert Image.open(maps[0]).size == (8 * 12, 5 * 8)
