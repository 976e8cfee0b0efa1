"""mmengine hooks of wsseg."""
from __future__ import annotations

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from wsseg.registry import HOOKS


@HOOKS.register_module()
class SetIterationHook(Hook):
    """Tell the model the runner's iteration before each step (loss schedules read it)."""

    priority = 'HIGHEST'

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        model.iteration = runner.iter
