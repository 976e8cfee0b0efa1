"""Writing the trunk file during and after pretraining."""
from __future__ import annotations

import os.path as osp
import resource
import time

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from wsseg.models.resnet_trunk import save_trunk
from wsseg.registry import HOOKS


@HOOKS.register_module()
class ExportTrunkHook(Hook):
    """Write ``<work_dir>/trunk.pth`` at the end, and ``trunk_iter<N>.pth`` at each of
    ``budgets`` (iterations), so one run gives the checkpoints of a pretraining-budget curve.
    Meta records the method, iterations, images, wall seconds and peak RSS of this process."""

    priority = 'LOW'

    def __init__(self, budgets: tuple[int, ...] = ()):
        self.budgets = set(int(b) for b in budgets)
        self._t0 = time.time()

    def before_train(self, runner) -> None:
        self._t0 = time.time()

    def _save(self, runner, name: str, iters: int) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        ds = runner.train_dataloader.dataset
        meta = dict(model.trunk_meta(), iters=iters, images=len(getattr(ds, 'files', [])),
                    seconds_this_session=round(time.time() - self._t0, 1),
                    peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
        path = save_trunk(osp.join(runner.work_dir, name), model.trunk.state_dict(), meta)
        runner.logger.info(f'trunk written: {path} (load it with pretrained={str(path)!r})')

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if runner.iter + 1 in self.budgets and runner.rank == 0:
            self._save(runner, f'trunk_iter{runner.iter + 1}.pth', runner.iter + 1)

    def after_train(self, runner) -> None:
        if runner.rank == 0:
            self._save(runner, 'trunk.pth', runner.iter)
