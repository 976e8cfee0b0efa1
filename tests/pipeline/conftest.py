"""Helpers for pipeline tests: shrink a pipeline config's training budgets to a few iterations."""
from __future__ import annotations

TINY_TRAIN = {'train_dataloader.num_workers': 0, 'train_dataloader.persistent_workers': False,
              'val_dataloader.num_workers': 0, 'val_dataloader.persistent_workers': False,
              'test_dataloader.num_workers': 0, 'test_dataloader.persistent_workers': False,
              'default_hooks.logger.interval': 1}


def tiny_schedule(iters: int, batch: int = 2, extra: dict | None = None) -> dict:
    """cfg_options that make a training config run ``iters`` iterations of ``batch``."""
    return dict(TINY_TRAIN, **{
        'train_cfg.max_iters': iters, 'train_cfg.val_interval': iters,
        'default_hooks.checkpoint.interval': iters, 'train_dataloader.batch_size': batch,
        'param_scheduler': [dict(type='ConstantLR', factor=1.0, by_epoch=False)]}, **(extra or {}))
