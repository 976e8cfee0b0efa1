"""``WssegRunner``: mmengine's Runner, made safe to kill, resume and run on CPU ranks.

Changes to mmengine's ``Runner`` (everything else is inherited):

- **atomic checkpoints**: each ``.pth`` is written to a temporary file in its folder, fsynced
  and renamed, so a killed run never leaves half a checkpoint (``AtomicCheckpointHook``
  does the same for ``last_checkpoint``);
- **only finite checkpoints**: a model whose weights became NaN/inf is not saved, so the last
  checkpoint on disk stays the last good one;
- **safe loading**: checkpoints are read with ``torch.load(weights_only=True)``; a missing,
  truncated or tampered file is a :class:`~wsseg.utils.checkpoint.CheckpointError` naming it;
- **exact resume**: the torch RNG state is saved with each checkpoint and restored on resume
  (dropout draws continue where they stopped; the data order is replayed by mmengine);
- **validation leaves the training RNG alone** (:class:`ValRngHook`), so when and whether
  validation runs does not change training, and a resume is exact even after a validation;
- **workers released**: the training dataloader's workers stop when ``train()`` returns (or
  raises), which matters when several stages run in one process;
- **CPU ranks**: under torchrun / SLURM without CUDA the process group uses gloo (not nccl)
  and DDP wraps the CPU model without ``device_ids``;
- **checked pretrained inits**: before mmengine applies an ``init_cfg`` of type
  ``Pretrained`` naming a local file (mmseg's ``ResNet`` loading a ``tools/pretrain_ssl.py``
  trunk), its keys are compared with the module's: mmengine would load it with
  ``strict=False`` and only log the mismatch, so another architecture would start training
  silently from random weights. A mismatch is a ``CheckpointError`` naming the file and keys;
- **evaluation scores the readable images**: the plain ``ValLoop`` / ``TestLoop`` become
  :mod:`wsseg.engine.loops`' skip-aware ones, so with ``bad_data='skip'`` an unreadable image
  is left out of the metric (not replaced by another) and listed beside it;
- **its own logger, message hub and visualizer**: mmengine looks these up by experiment name
  (config name + start second), so a second run of one config started in the same second of
  one process got the first run's instances and wrote its log and config into the first
  run's folder. A new runner replaces any instance of its name.
"""
from __future__ import annotations

import os
import os.path as osp
from pathlib import Path

import torch
from mmengine.dist import is_distributed, master_only
from mmengine.hooks import Hook
from mmengine.logging import MessageHub, MMLogger
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner, TestLoop, ValLoop
from mmengine.runner.checkpoint import _load_checkpoint_to_model
from mmengine.utils import ManagerMixin
from mmengine.visualization import Visualizer

from wsseg.engine.dist import init_distributed
from wsseg.registry import RUNNERS
from wsseg.utils.checkpoint import CheckpointError, load_checkpoint_file


def _local(path: str) -> bool:
    return '://' not in str(path)


def _forget(base: type[ManagerMixin], name: str) -> None:
    """Drop the instance called ``name`` of ``base`` and of each subclass (every ManagerMixin
    class keeps its own registry), so that ``get_instance(name)`` builds a new one."""
    todo = [base]
    while todo:
        cls = todo.pop()
        cls._instance_dict.pop(name, None)
        todo.extend(cls.__subclasses__())


@RUNNERS.register_module()
class WssegRunner(Runner):
    """mmengine ``Runner`` with atomic, finite, weights_only checkpoints, exact resume and
    DDP on CPU (see the module docstring). Configs select it with
    ``runner_type = 'wsseg.WssegRunner'``."""

    def __init__(self, *args, **kwargs):
        self._dist_note: str | None = None
        self._resumed_rng: dict | None = None
        super().__init__(*args, **kwargs)
        self.register_hook(ValRngHook())
        if self._dist_note:
            self.logger.info(self._dist_note)

    def build_logger(self, log_level='INFO', log_file=None, **kwargs) -> MMLogger:
        _forget(MMLogger, kwargs.get('name', self._experiment_name))
        return super().build_logger(log_level, log_file, **kwargs)

    def build_message_hub(self, message_hub=None) -> MessageHub:
        if not isinstance(message_hub, MessageHub):
            _forget(MessageHub, (message_hub or {}).get('name', self._experiment_name))
        return super().build_message_hub(message_hub)

    def build_visualizer(self, visualizer=None) -> Visualizer:
        if not isinstance(visualizer, Visualizer):
            _forget(Visualizer, (visualizer or {}).get('name', self._experiment_name))
        return super().build_visualizer(visualizer)

    def setup_env(self, env_cfg: dict) -> None:
        if self.distributed and not is_distributed():
            self._dist_note = init_distributed(self.launcher, **dict(env_cfg.get('dist_cfg', {})))
        super().setup_env(env_cfg)

    def wrap_model(self, model_wrapper_cfg, model):
        if self.distributed and model_wrapper_cfg is None and not torch.cuda.is_available():
            # mmengine passes device_ids=[LOCAL_RANK], which DDP refuses for a CPU module
            model_wrapper_cfg = dict(type='MMDistributedDataParallel', device_ids=None,
                                     broadcast_buffers=False,
                                     find_unused_parameters=self.cfg.get('find_unused_parameters', False))
        return super().wrap_model(model_wrapper_cfg, model)

    def _init_model_weights(self) -> None:
        model = self.model.module if is_model_wrapper(self.model) else self.model
        check_pretrained_inits(model)
        super()._init_model_weights()

    def build_val_loop(self, loop):
        from wsseg.engine.loops import SkipAwareValLoop
        return super().build_val_loop(_skip_aware(loop, ValLoop, SkipAwareValLoop))

    def build_test_loop(self, loop):
        from wsseg.engine.loops import SkipAwareTestLoop
        return super().build_test_loop(_skip_aware(loop, TestLoop, SkipAwareTestLoop))

    def train(self):
        if self.rank == 0:       # temporary files of a killed run (checkpoints, last_checkpoint)
            for stale in Path(self.work_dir).glob('.*.tmp'):
                stale.unlink(missing_ok=True)
        try:
            return super().train()
        finally:   # stop the dataloader workers now: collected later by gc, each one waits ~5 s
            if getattr(self._train_loop, 'dataloader_iterator', None) is not None:
                self._train_loop.dataloader_iterator = None

    # ------------------------------------------------------------------ saving
    @master_only
    def save_checkpoint(self, out_dir: str, filename: str, file_client_args=None,
                        save_optimizer: bool = True, save_param_scheduler: bool = True,
                        meta: dict | None = None, by_epoch: bool = True, backend_args=None) -> None:
        model = self.model.module if is_model_wrapper(self.model) else self.model
        bad = [k for k, v in model.state_dict().items()
               if v.is_floating_point() and not torch.isfinite(v).all()]
        if bad:
            raise FloatingPointError(
                f'non-finite weights {bad[:5]} after iteration {self.iter + 1}: {filename} not '
                f'written; {osp.join(self.work_dir, "last_checkpoint")} names the last good one')
        meta = dict(meta or {}, rng=rng_state())
        args = dict(file_client_args=file_client_args, save_optimizer=save_optimizer,
                    save_param_scheduler=save_param_scheduler, meta=meta, by_epoch=by_epoch,
                    backend_args=backend_args)
        if not _local(out_dir):
            return super().save_checkpoint(out_dir, filename, **args)
        tmp = f'.{filename}.{os.getpid()}.tmp'
        super().save_checkpoint(out_dir, tmp, **args)
        tmp_path = osp.join(out_dir, tmp)
        with open(tmp_path, 'rb') as f:
            os.fsync(f.fileno())
        os.replace(tmp_path, osp.join(out_dir, filename))

    # ------------------------------------------------------------------ loading
    def load_checkpoint(self, filename: str, map_location='cpu', strict: bool = False,
                        revise_keys: list = [(r'^module.', '')]) -> dict:  # noqa: B006 (mmengine's)
        if not _local(filename):
            return super().load_checkpoint(filename, map_location, strict, revise_keys)
        checkpoint = load_checkpoint_file(filename, 'wsseg', map_location)
        if 'state_dict' not in checkpoint:
            raise CheckpointError(f'{filename}: not a training checkpoint (no state_dict; '
                                  f'keys {sorted(checkpoint)[:8]})')
        self._resumed_rng = checkpoint.get('meta', {}).get('rng')
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) else self.model
        checkpoint = _load_checkpoint_to_model(model, checkpoint, strict, revise_keys=revise_keys)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def resume(self, filename: str, *args, **kwargs) -> None:
        super().resume(filename, *args, **kwargs)
        if self._resumed_rng is not None:
            set_rng_state(self._resumed_rng)
            self.logger.info(f'restored the torch RNG state saved in {filename}')


def check_pretrained_inits(model: torch.nn.Module) -> None:
    """Raise :class:`CheckpointError` naming the file and keys when a module's ``init_cfg``
    ``Pretrained`` checkpoint (a local file, no ``prefix``) does not fit that module exactly."""
    from wsseg.models.resnet_trunk import key_mismatches, mismatch_error, read_trunk_checkpoint
    for name, module in model.named_modules():
        cfgs = getattr(module, 'init_cfg', None)
        for cfg in cfgs if isinstance(cfgs, list) else [cfgs]:
            if not (isinstance(cfg, dict) and cfg.get('type') == 'Pretrained' and 'prefix' not in cfg
                    and cfg.get('checkpoint') and _local(str(cfg['checkpoint']))):
                continue
            state, _ = read_trunk_checkpoint(cfg['checkpoint'], 'ResNet trunk')
            missing, unexpected, shapes = key_mismatches(module.state_dict(), state)
            if missing or unexpected or shapes:
                raise mismatch_error(cfg['checkpoint'], f'{type(module).__name__} {name or "model"}',
                                     missing, unexpected, shapes)


def _skip_aware(loop, plain: type, ours: type):
    """A loop config whose type is mmengine's plain loop (or absent) with ours instead."""
    if isinstance(loop, dict) and loop.get('type', plain) in (plain, plain.__name__):
        return dict(loop, type=ours)
    return loop


def rng_state() -> dict:
    """The torch RNG states (CPU, and CUDA when present) as tensors (weights_only-loadable)."""
    state = dict(cpu=torch.get_rng_state())
    if torch.cuda.is_available():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state['cpu'].cpu())
    if torch.cuda.is_available() and state.get('cuda'):
        torch.cuda.set_rng_state_all([s.cpu() for s in state['cuda']])


class ValRngHook(Hook):
    """Validation runs on a copy of the torch RNG: creating its dataloader iterator draws a
    seed, which would otherwise shift every later dropout draw of training."""

    priority = 'VERY_HIGH'

    def before_val(self, runner) -> None:
        self._state = rng_state()

    def after_val(self, runner) -> None:
        set_rng_state(self._state)
