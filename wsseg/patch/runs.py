"""Helpers that run the patch-path configs on other frames and budgets (tests, ``tools/bench_patch.py``).

The synthetic-frame configs read their root from ``$SEAGRASS_SYNTH`` (default
``work_dirs/seagrass_synth``, see ``configs/_base_/datasets/seagrass_synth.py``); a short run is
a handful of ``--cfg-options`` (:func:`short_run_options`).
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
from mmengine.config import Config

from wsseg.registry import DATASETS

SYNTH_ENV = 'SEAGRASS_SYNTH'


@contextmanager
def synth_root(path: str | Path) -> Iterator[None]:
    """Point ``$SEAGRASS_SYNTH`` at ``path`` while configs are parsed; restore it after."""
    old = os.environ.get(SYNTH_ENV)
    os.environ[SYNTH_ENV] = str(path)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(SYNTH_ENV, None)
        else:
            os.environ[SYNTH_ENV] = old


def short_run_options(max_epochs: int, batch_size: int | None = None) -> dict[str, int]:
    """``--cfg-options`` of a short run: the epochs, validation and checkpoint at its end, a batch size."""
    opts = {'train_cfg.max_epochs': max_epochs, 'train_cfg.val_interval': max_epochs,
            'default_hooks.checkpoint.interval': max_epochs}
    if batch_size:
        opts.update({f'{k}_dataloader.batch_size': batch_size for k in ('train', 'val', 'test')})
    return opts


def as_cli(options: dict) -> list[str]:
    """``{'a.b': 1}`` -> ``['a.b=1']`` for ``--cfg-options``."""
    return [f'{k}={v}' for k, v in options.items()]


def retarget(config: str | Path, data_root: str | Path, work_dir: str | Path, max_epochs: int | None = None,
             batch_size: int | None = None, **model_overrides) -> Config:
    """Load a synthetic-frame config with its frames under ``data_root`` (``train/``, ``test/`` as
    written by ``make_seagrass_frames``), its work_dir elsewhere and optionally a shorter run."""
    with synth_root(data_root):
        cfg = Config.fromfile(str(config))
    cfg.work_dir = str(work_dir)
    if max_epochs is not None:
        cfg.merge_from_dict(short_run_options(max_epochs, batch_size))
    elif batch_size:
        cfg.merge_from_dict({f'{k}_dataloader.batch_size': batch_size for k in ('train', 'val', 'test')})
    if model_overrides:
        cfg.model.update(model_overrides)
    cfg.log_level = 'WARNING'
    return cfg


@torch.no_grad()
def predict_frames(model, dataset_cfg: dict, batch_size: int = 8) -> dict:
    """Run a patch model over a dataset config; returns ids, probs and logits (N, K, r, c), truth, paths."""
    from mmengine.dataset import pseudo_collate
    ds = DATASETS.build(dataset_cfg)
    model.eval()
    ids, probs, truth, paths, logits = [], [], [], [], []
    for i in range(0, len(ds), batch_size):
        batch = pseudo_collate([ds[j] for j in range(i, min(i + batch_size, len(ds)))])
        for s in model.test_step(batch):
            ids.append(s.img_id)
            paths.append(s.img_path)
            probs.append(s.extra['probs'].cpu())
            logits.append(s.extra.get('logits', s.extra['probs'].clamp_min(1e-12).log()).cpu())
            truth.append(None if s.gt_label is None else s.gt_label.cpu())
    return dict(ids=ids, probs=torch.stack(probs), logits=torch.stack(logits), truth=truth, paths=paths,
                classes=tuple(ds.metainfo['classes']), palette=np.asarray(ds.metainfo['palette']))


def load_trained(config: str | Path, checkpoint: str | Path) -> torch.nn.Module:
    """The model of a patch-path config with the weights of a ``tools/train.py`` checkpoint (or
    of a saved ensemble); nothing else is read (the SimCLR init is only read by ``init_weights``;
    an ensemble's member checkpoints are skipped)."""
    from wsseg.patch.ensemble import drop_member_checkpoints
    from wsseg.registry import MODELS
    from wsseg.utils.checkpoint import load_state_dict_file
    cfg = Config.fromfile(str(config)).model
    drop_member_checkpoints(cfg)
    model = MODELS.build(cfg)
    model.load_state_dict(load_state_dict_file(checkpoint, 'wsseg'))
    return model.eval()
