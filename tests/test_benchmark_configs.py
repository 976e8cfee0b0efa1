"""Every row config of the CamVid benchmark matrices builds, loads real CamVid samples through
its own train pipeline, and takes one finite training step: a broken row fails here, not an
hour into a benchmark run."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from wsseg.registry import DATASETS, MODELS

REPO = Path(__file__).resolve().parents[1]
ROWS = sorted({r['config'] for m in sorted((REPO / 'configs/benchmarks').glob('camvid*.py'))
               for r in Config.fromfile(str(m)).rows})


@pytest.mark.parametrize('config', ROWS)
def test_row_config_takes_a_training_step(config, shared_data):
    cfg = Config.fromfile(str(REPO / config))
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.data_root = str(shared_data / 'camvid') if ds_cfg.get('data_root') else ds_cfg.data_root
    if not ds_cfg.get('data_root'):          # the CAM second stage reads seeds from a work dir
        pytest.skip(f'{config} trains on pseudo-masks written by an earlier row')
    ds_cfg.indices = 2
    ds = DATASETS.build(ds_cfg)
    batch = pseudo_collate([ds[0], ds[1]])
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).train()
    losses = model(**model.data_preprocessor(batch, training=True), mode='loss')
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    assert torch.isfinite(total), (config, losses)
    total.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)
