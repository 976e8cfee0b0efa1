"""The logic loss: the negated log-truth of a weighted conjunction of constraints.

``LogicLoss`` follows the wsseg loss interface (:mod:`wsseg.losses.base`); ``MMSegLogicLoss``
is the same idea as an mmseg decode-head loss (``loss_decode=dict(type='wsseg.MMSegLogicLoss')``),
which sees only ``(cls_score, label)`` and so takes the non-ignored label pixels as scribbles.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from wsseg.logic.constraints import Constraint
from wsseg.logic.registry import CONSTRAINTS
from wsseg.losses.base import SegBatch
from wsseg.registry import MODELS
from wsseg.structures import IGNORE, WeakLabels


def build_constraints(cfgs: list[dict], background_index: int | None
                      ) -> tuple[list[str], list[Constraint], list[float]]:
    """Build constraint configs; each may carry ``weight`` (default 1) and ``name``.

    ``background_index`` is passed to every constraint that does not set its own. Names
    default to the class name, suffixed ``_2``, ``_3`` ... when a class appears twice.
    """
    if not cfgs:
        raise ValueError('a logic loss needs at least one constraint')
    names, built, weights = [], [], []
    for cfg in cfgs:
        if not isinstance(cfg, dict) or 'type' not in cfg:
            raise ValueError(f'a constraint config must be a dict with a type, got {cfg!r}')
        cfg = dict(cfg)
        weight = float(cfg.pop('weight', 1.0))
        name = cfg.pop('name', None) or str(cfg['type']).split('.')[-1]
        cfg.setdefault('background_index', background_index)
        base, n = name, 2
        while name in names:
            name, n = f'{base}_{n}', n + 1
        names.append(name)
        built.append(CONSTRAINTS.build(cfg))
        weights.append(weight)
    return names, built, weights


def log_probs(logits: Tensor, size: tuple[int, int]) -> Tensor:
    """Log-softmax over classes in float32, resized (bilinear) to ``size`` first if needed."""
    if tuple(logits.shape[-2:]) != tuple(size):
        logits = F.interpolate(logits, size=size, mode='bilinear', align_corners=False)
    return F.log_softmax(logits.float(), dim=1)


@MODELS.register_module()
class LogicLoss(nn.Module):
    """``-weight * mean_b(sum_i w_i * c_i(b))`` for constraints ``c_i`` with weights ``w_i``.

    Each ``c_i(b) <= 0`` is the mean log-truth of constraint i on image b (see
    :mod:`wsseg.logic.constraints`), so the loss is 0 when every constraint holds and grows
    as the prediction violates them. Logits are resized to the batch images first.

    Example: ``dict(type='LogicLoss', constraints=[dict(type='BoxTightness', weight=1.0),
    dict(type='OutsideBoxesBackground'), dict(type='SuperpixelBorder', weight=0.1)])``.
    """

    def __init__(self, constraints: list[dict], weight: float = 1.0,
                 background_index: int | None = 0, loss_name: str = 'loss_logic'):
        super().__init__()
        self.names, self.constraints, self.weights = build_constraints(constraints, background_index)
        self.weight = float(weight)
        self.loss_name = loss_name

    def truths(self, logits: Tensor, batch: SegBatch) -> dict[str, Tensor]:
        """Per constraint, the (B,) log-truths on the batch."""
        images = batch.images
        size = tuple(images.shape[-2:]) if images is not None else tuple(logits.shape[-2:])
        logp = log_probs(logits, size)
        return {n: c(logp, batch.weak, images) for n, c in zip(self.names, self.constraints)}

    def combine(self, truths: dict[str, Tensor]) -> Tensor:
        total = sum(w * t for w, t in zip(self.weights, truths.values()))
        return -self.weight * total.mean()

    def forward(self, logits: Tensor, batch: SegBatch) -> Tensor:
        return self.combine(self.truths(logits, batch))

    def terms(self, logits: Tensor, batch: SegBatch) -> dict[str, Tensor]:
        """For logging: each constraint's batch-mean log-truth (unweighted, <= 0)."""
        return {n: t.mean() for n, t in self.truths(logits, batch).items()}

    def extra_repr(self) -> str:
        return ', '.join(f'{w:g}*{c!r}' for c, w in zip(self.constraints, self.weights))


DEFAULT_MMSEG_CONSTRAINTS = (dict(type='ScribbleClass', weight=1.0),
                             dict(type='NeighbourSupport', weight=0.1),
                             dict(type='NeighbourConsensus', weight=0.1))


@MODELS.register_module()
class MMSegLogicLoss(nn.Module):
    """The logic loss with mmseg's loss signature ``(cls_score, label, weight, ignore_index)``.

    Label pixels other than ``ignore_index`` are taken as scribbles (``ScribbleClass``);
    constraints that need boxes or tags see none and are vacuously true, and constraints
    that need images (``SuperpixelBorder``) are refused. The per-pixel ``weight`` is not used.
    """

    def __init__(self, constraints: list[dict] | None = None, loss_weight: float = 1.0,
                 background_index: int | None = 0, loss_name: str = 'loss_logic'):
        super().__init__()
        if not loss_name.startswith('loss_'):
            raise ValueError(f"an mmseg loss name must start with 'loss_', got {loss_name!r}")
        cfgs = list(constraints) if constraints is not None else [dict(c) for c in DEFAULT_MMSEG_CONSTRAINTS]
        self.logic = LogicLoss(cfgs, weight=loss_weight, background_index=background_index,
                               loss_name=loss_name)
        for n, c in zip(self.logic.names, self.logic.constraints):
            if c.needs_images:
                raise ValueError(f'{n} needs the input images, which an mmseg loss does not receive')
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def forward(self, cls_score: Tensor, label: Tensor, weight: Tensor | None = None,
                ignore_index: int = 255, **kwargs) -> Tensor:
        if label.ndim == 4 and label.shape[1] == 1:
            label = label[:, 0]
        if label.ndim != 3 or cls_score.ndim != 4 or label.shape[0] != cls_score.shape[0]:
            raise ValueError(f'expected cls_score (B, K, H, W) and label (B, H, W), got '
                             f'{tuple(cls_score.shape)} and {tuple(label.shape)}')
        k = cls_score.shape[1]
        lab = label.detach().long()
        labelled = lab != ignore_index
        if (lab[labelled] < 0).any() or (lab[labelled] >= k).any():
            raise ValueError(f'label values outside 0..{k - 1} (ignore_index {ignore_index})')
        scribbles = torch.where(labelled, lab, IGNORE).to(torch.uint8).cpu().numpy()
        h, w = lab.shape[-2:]
        weak = [WeakLabels(image_size=(h, w), scribbles=np.ascontiguousarray(s), source=f'mmseg label #{i}')
                for i, s in enumerate(scribbles)]
        logp = log_probs(cls_score, (h, w))
        truths = {n: c(logp, weak, None) for n, c in zip(self.logic.names, self.logic.constraints)}
        return self.logic.combine(truths)
