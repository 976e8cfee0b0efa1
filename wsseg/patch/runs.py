"""Helpers that run the seagrass configs on another data root (tests, ``tools/bench_patch.py``)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from mmengine.config import Config

from wsseg.registry import DATASETS


def retarget(config: str | Path, data_root: str | Path, work_dir: str | Path, max_epochs: int | None = None,
             batch_size: int | None = None, **model_overrides) -> Config:
    """Load a ``configs/seagrass`` config and point its frames, truth and work_dir elsewhere.

    ``data_root`` holds ``train/`` and ``test/`` as written by ``make_seagrass_frames``.
    """
    cfg = Config.fromfile(str(config))
    root = Path(data_root)
    cfg.work_dir = str(work_dir)
    cfg.data_root = str(root)
    for loader, split in (('train_dataloader', 'train'), ('val_dataloader', 'test'), ('test_dataloader', 'test')):
        dl = cfg.get(loader)
        if dl is None:
            continue
        dl.dataset.data_root = str(root / split / 'frames')
        for t in dl.dataset.pipeline:
            if t.get('type') == 'LoadPatchTruth' and t.get('source', 'npy') == 'npy':
                t['truth_dir'] = str(root / split / 'patch_labels')
        if batch_size:
            dl.batch_size = batch_size
    if max_epochs is not None:
        cfg.train_cfg.max_epochs = max_epochs
        cfg.train_cfg.val_interval = max_epochs
        cfg.default_hooks.checkpoint.interval = max_epochs
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
