"""A test-only hook (imported by the DDP test's config through ``custom_imports``): each rank
saves its final weights, its loss and its images per iteration to ``<work_dir>/rank<r>.pt``.

It also sets dropout to 0 (ASPP's Dropout(0.5)): ranks draw their dropout masks from the same
seed, so rank 1 would not get the masks the second half of a one-process batch gets."""
from __future__ import annotations

from pathlib import Path

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from wsseg.registry import HOOKS


@HOOKS.register_module(force=True)
class DumpRankStateHook(Hook):
    def __init__(self):
        self.losses: list[float] = []
        self.files: list[list[str]] = []

    def before_train(self, runner) -> None:
        for m in runner.model.modules():
            if isinstance(m, torch.nn.Dropout):
                m.p = 0.0

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self.losses.append(outputs['loss'].item())
        self.files.append([s.img_path for s in data_batch['data_samples']])

    def after_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        torch.save(dict(state=model.state_dict(), losses=self.losses, files=self.files,
                        world_size=runner.world_size),
                   Path(runner.work_dir) / f'rank{runner.rank}.pt')
