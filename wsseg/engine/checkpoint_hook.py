"""``AtomicCheckpointHook``: mmengine's CheckpointHook in a kill-safe order.

mmengine's hook removes the oldest checkpoint *before* writing the new one and rewrites
``last_checkpoint`` in place, so a kill at the wrong moment can leave ``last_checkpoint``
empty, or (``max_keep_ckpts=1``) no checkpoint at all. This one writes the new checkpoint
(atomically, see :class:`wsseg.engine.runner.WssegRunner`), then ``last_checkpoint``
(temporary file + rename), and only then removes the oldest checkpoint.
"""
from __future__ import annotations

import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from wsseg.registry import HOOKS
from wsseg.utils.io import atomic_write


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """Same arguments and files as mmengine's ``CheckpointHook``; kill-safe write order."""

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        stale = None
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                stale = self.keep_ckpt_ids.popleft()
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(self.out_dir, filename, self.file_client_args,
                               save_optimizer=self.save_optimizer,
                               save_param_scheduler=self.save_param_scheduler, meta=meta,
                               by_epoch=self.by_epoch, backend_args=self.backend_args, **self.args)
        if not is_main_process():
            return
        with atomic_write(osp.join(runner.work_dir, 'last_checkpoint')) as f:
            f.write(str(self.last_ckpt).encode())
        if stale is not None:
            path = self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(stale))
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
