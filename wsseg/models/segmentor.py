"""``WeakSegmentor``: any segmentation net + a list of wsseg losses, as an mmengine model."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor, BaseModel

from wsseg.datasets.transforms import SegSample
from wsseg.losses.base import SegBatch
from wsseg.registry import MODELS

IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)


@MODELS.register_module()
class SegDataPreprocessor(BaseDataPreprocessor):
    """Stack uint8 images (padding to the largest, then to ``size_divisor``), normalise, move."""

    def __init__(self, mean: Sequence[float] = IMAGENET_MEAN, std: Sequence[float] = IMAGENET_STD,
                 size_divisor: int = 1):
        super().__init__()
        self.register_buffer('mean', torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(std).view(1, 3, 1, 1), persistent=False)
        self.size_divisor = size_divisor

    def forward(self, data: dict, training: bool = False) -> dict:
        imgs: list[torch.Tensor] = list(data['inputs'])
        samples: list[SegSample] = list(data.get('data_samples') or [])
        d = self.size_divisor
        h = -(-max(i.shape[1] for i in imgs) // d) * d
        w = -(-max(i.shape[2] for i in imgs) // d) * d
        batch = torch.stack([F.pad(i, (0, w - i.shape[2], 0, h - i.shape[1])) for i in imgs])
        batch = (batch.to(self.device).float() - self.mean) / self.std
        for s in samples:
            for key in ('target', 'gt'):
                t = getattr(s, key)
                if t is not None:
                    t = F.pad(t, (0, w - t.shape[1], 0, h - t.shape[0]), value=255)
                    setattr(s, key, t.to(self.device))
        return dict(inputs=batch, data_samples=samples)

    def denormalise(self, x: torch.Tensor) -> torch.Tensor:
        """Back to RGB in [0, 1] (what CRF / logic losses look at)."""
        return ((x * self.std + self.mean) / 255.0).clamp(0, 1)


@MODELS.register_module()
class WeakSegmentor(BaseModel):
    """A segmentation network trained by the sum of configured wsseg losses.

    ``losses`` is a list of loss configs (``MODELS``), each ``forward(logits, SegBatch)``.
    A non-finite loss stops training with the iteration and the batch's files named.
    """

    def __init__(self, net: dict, losses: list[dict], data_preprocessor: dict | None = None,
                 init_cfg: dict | None = None):
        pre = data_preprocessor or dict(type='SegDataPreprocessor')
        super().__init__(data_preprocessor=MODELS.build(pre) if isinstance(pre, dict) else pre,
                         init_cfg=init_cfg)
        self.net = MODELS.build(net)
        self.losses = torch.nn.ModuleList(MODELS.build(c) for c in losses)
        self.iteration = 0          # set by the SetIterationHook, for loss schedules

    def forward(self, inputs: torch.Tensor, data_samples: list[SegSample] | None = None,
                mode: str = 'tensor'):
        logits = self.net(inputs)
        if mode == 'tensor':
            return logits
        if mode == 'loss':
            return self.loss(logits, inputs, data_samples)
        if mode == 'predict':
            return self.predict(logits, data_samples)
        raise ValueError(f'WeakSegmentor: unknown mode {mode!r}')

    def loss(self, logits: torch.Tensor, inputs: torch.Tensor, samples: list[SegSample]) -> dict:
        target = torch.stack([s.target if s.target is not None
                              else torch.full(logits.shape[-2:], 255, device=logits.device, dtype=torch.long)
                              for s in samples])
        batch = SegBatch(images=self.data_preprocessor.denormalise(inputs), target=target,
                         weak=[s.weak for s in samples], img_paths=[s.img_path for s in samples],
                         iteration=self.iteration)
        out = {}
        for loss in self.losses:
            value = loss(logits, batch)
            if not torch.isfinite(value):
                raise FloatingPointError(f'{loss.loss_name} is {value.item()} at iteration {self.iteration} '
                                         f'on images {batch.img_paths}')
            out[loss.loss_name] = value
        return out

    @torch.no_grad()
    def predict(self, logits: torch.Tensor, samples: list[SegSample]) -> list[SegSample]:
        probs = logits.softmax(1)
        for s, p in zip(samples, probs):
            h, w = s.img_shape
            p = p[:, :h, :w]
            conf, pred = p.max(0)
            s.pred = pred
            s.extra['confidence'] = conf
        return samples
