"""``PatchEnsemble``: standardise each member's logits, average them, softmax.

Standardisation is per frame over all of a member's logits (every patch and class), which
puts members of different logit scale on one footing. The public SeaFeats/SeaCLIP test
script standardised over the whole batch tensor; per frame makes a frame's result
independent of the batch it is in (the two agree at batch size 1, the whole-frame case).
"""
from __future__ import annotations

from typing import Sequence

import torch
from mmengine.model import BaseModel
from torch import nn

from wsseg.registry import MODELS
from wsseg.utils.checkpoint import CheckpointError, load_state_dict_file

from .classifier import predict_samples
from .data import PatchSample


def standardise(logits: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """(B, ...) logits -> zero mean, unit std over every dimension but the first."""
    flat = logits.flatten(1)
    mean = flat.mean(1).view(-1, *[1] * (logits.dim() - 1))
    std = flat.std(1).view(-1, *[1] * (logits.dim() - 1))
    return (logits - mean) / (std + eps)


def ensemble_probs(member_logits: Sequence[torch.Tensor]) -> torch.Tensor:
    """Softmax over classes (dim 1) of the mean of the standardised member logits."""
    if not member_logits:
        raise ValueError('ensemble_probs: no member logits')
    shapes = {tuple(t.shape) for t in member_logits}
    if len(shapes) > 1:
        raise ValueError(f'ensemble_probs: members disagree on the output shape {sorted(shapes)}')
    return torch.stack([standardise(t) for t in member_logits]).mean(0).softmax(1)


def drop_member_checkpoints(model_cfg: dict) -> None:
    """Clear an ensemble config's member checkpoint paths, in place (a no-op for other models):
    a saved ensemble's own checkpoint holds its members' weights, so they need not load theirs."""
    for member in model_cfg.get('members') or []:
        if isinstance(member, dict):
            member['checkpoint'] = None


def load_member(cfg: dict | nn.Module) -> nn.Module:
    """A member from a ready module or ``dict(model=<config>, checkpoint=<path>)``."""
    if isinstance(cfg, nn.Module):
        return cfg
    if not isinstance(cfg, dict) or 'model' not in cfg:
        raise ValueError(f'PatchEnsemble: a member is a module or dict(model=..., checkpoint=...), got {cfg!r}')
    model = MODELS.build(dict(cfg['model']))
    if cfg.get('checkpoint'):
        state = load_state_dict_file(cfg['checkpoint'], 'wsseg')
        missing, unexpected = model.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise CheckpointError(f"{cfg['checkpoint']}: does not fit {type(model).__name__}: missing "
                                  f'{missing[:10]}, unexpected {unexpected[:10]}')
    return model


@MODELS.register_module()
class PatchEnsemble(BaseModel):
    """Test-time ensemble of patch models sharing one data preprocessor (normalisation).

    ``members``: a list of ``dict(model=<PatchClassifier config>, checkpoint=<tools/train.py
    checkpoint>)`` or of built modules. Each member must return (B, K, rows, cols) logits in
    ``mode='tensor'``.
    """

    def __init__(self, members: Sequence[dict | nn.Module], data_preprocessor: dict | None = None,
                 init_cfg: dict | None = None):
        pre = data_preprocessor or dict(type='PatchDataPreprocessor')
        super().__init__(data_preprocessor=MODELS.build(pre) if isinstance(pre, dict) else pre,
                         init_cfg=init_cfg)
        if len(members) < 1:
            raise ValueError('PatchEnsemble: give at least one member')
        self.members = nn.ModuleList(load_member(m) for m in members)

    def init_weights(self) -> None:   # members come trained; the runner must not re-initialise them
        pass

    def forward(self, inputs: torch.Tensor, data_samples: list[PatchSample] | None = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            raise RuntimeError('PatchEnsemble is a test-time model: train its members instead')
        logits = [m(inputs, data_samples, mode='tensor') for m in self.members]
        probs = ensemble_probs(logits)
        if mode == 'tensor':
            return probs.clamp_min(1e-12).log()
        if mode == 'predict':
            return predict_samples(probs, data_samples, probs=probs)
        raise ValueError(f'PatchEnsemble: unknown mode {mode!r}')

