"""Two-phase loss schedules: partial CE alone first, regularisers from ``start_iter`` on.

A loss config may carry ``start_iter`` (default 0) and ``ramp_iters`` (default 0: no ramp);
:meth:`LossSchedule.wrap` turns such a config into a :class:`Scheduled` one, e.g.
``dict(type='DenseCRFLoss', weight=0.5, start_iter=2000, ramp_iters=500)``.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from wsseg.losses.base import SegBatch
from wsseg.registry import MODELS


def _check(start_iter: int, ramp_iters: int) -> None:
    for name, value in (('start_iter', start_iter), ('ramp_iters', ramp_iters)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f'loss schedule: {name} must be an int >= 0, got {value!r}')


def scheduled_weight(cfg_weight: float, start_iter: int, ramp_iters: int, iteration: int) -> float:
    """``cfg_weight`` scaled by the schedule at ``iteration``: 0 before ``start_iter``; then
    ``(iteration - start_iter + 1) / ramp_iters`` of it (linear ramp, capped at 1), so the full
    weight applies from ``start_iter + ramp_iters - 1``; ``ramp_iters = 0`` steps straight to it."""
    _check(start_iter, ramp_iters)
    if iteration < start_iter:
        return 0.0
    if ramp_iters == 0:
        return float(cfg_weight)
    return float(cfg_weight) * min(1.0, (iteration - start_iter + 1) / ramp_iters)


@dataclass(frozen=True)
class LossSchedule:
    """When a loss is on: ``factor(iteration)`` in [0, 1]."""
    start_iter: int = 0
    ramp_iters: int = 0

    def __post_init__(self):
        _check(self.start_iter, self.ramp_iters)

    def factor(self, iteration: int) -> float:
        return scheduled_weight(1.0, self.start_iter, self.ramp_iters, iteration)

    @staticmethod
    def wrap(cfg: dict) -> dict:
        """A loss config with ``start_iter`` / ``ramp_iters`` keys -> a ``Scheduled`` config of
        the same loss without them; other configs come back unchanged."""
        if 'start_iter' not in cfg and 'ramp_iters' not in cfg:
            return cfg
        inner = {k: v for k, v in cfg.items() if k not in ('start_iter', 'ramp_iters')}
        return dict(type='Scheduled', loss=inner, start_iter=cfg.get('start_iter', 0),
                    ramp_iters=cfg.get('ramp_iters', 0))


@MODELS.register_module()
class Scheduled(nn.Module):
    """Builds the loss ``loss`` (a config) and scales it by its schedule at ``batch.iteration``.

    Before ``start_iter`` it returns a constant 0 without calling the inner loss (no compute,
    no graph). The log key is the inner loss's ``loss_name``.
    """

    def __init__(self, loss: dict, start_iter: int = 0, ramp_iters: int = 0, weight: float = 1.0):
        super().__init__()
        self.schedule = LossSchedule(start_iter, ramp_iters)
        self.loss = MODELS.build(loss)
        self.weight = weight
        self.loss_name = getattr(self.loss, 'loss_name', f'loss_{type(self.loss).__name__.lower()}')

    def forward(self, logits: torch.Tensor, batch: SegBatch, **kwargs) -> torch.Tensor:
        factor = self.weight * self.schedule.factor(batch.iteration)
        if factor == 0.0:
            return logits.new_zeros((), dtype=torch.float32)
        return factor * self.loss(logits, batch, **kwargs)
