"""Every pretraining config under configs/ssl/ keeps its schedule in step: the dataset draws
exactly the samples of ``max_iters`` batches, the cosine decay spans them, and every budget
trunk is written before the end. A derived config (e.g. a longer budget) that changes
``max_iters`` must restate each of them, since a base variable is not re-evaluated."""
from __future__ import annotations

from pathlib import Path

import pytest
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[2]
CONFIGS = sorted(p for p in (REPO / 'configs/ssl').glob('*.py') if not p.name.startswith('_'))


@pytest.mark.parametrize('path', CONFIGS, ids=[p.stem for p in CONFIGS])
def test_pretraining_schedule_is_consistent(path):
    cfg = Config.fromfile(str(path))
    iters = cfg.train_cfg.max_iters
    loader = cfg.train_dataloader
    assert loader.dataset.length == iters * loader.batch_size, path.name
    (cosine,) = [s for s in cfg.param_scheduler if s.type == 'CosineAnnealingLR']
    assert cosine.T_max == iters, path.name
    (export,) = [h for h in cfg.custom_hooks if h.type == 'ExportTrunkHook']
    assert export.budgets and max(export.budgets) <= iters, path.name
    assert loader.dataset.folders, f'{path.name}: no unlabelled folders'
