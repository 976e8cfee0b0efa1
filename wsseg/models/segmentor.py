"""``WeakSegmentor``: any segmentation net + a list of wsseg losses, as an mmengine model."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor, BaseModel

from wsseg.datasets.transforms import SegSample
from wsseg.losses.base import SegBatch
from wsseg.losses.schedule import LossSchedule
from wsseg.registry import MODELS
from wsseg.utils.autocast import autocast_dtype

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


def valid_mask(samples: Sequence[SegSample], inputs: torch.Tensor) -> torch.Tensor:
    """(B, H, W) bool: True on each sample's own ``img_shape``, False on the padding that
    :class:`SegDataPreprocessor` added to stack the batch."""
    b, _, h, w = inputs.shape
    valid = torch.zeros(b, h, w, dtype=torch.bool, device=inputs.device)
    for i, s in enumerate(samples):
        sh, sw = s.img_shape
        valid[i, :sh, :sw] = True
    return valid


@MODELS.register_module()
class WeakSegmentor(BaseModel):
    """A segmentation network trained by the sum of configured wsseg losses.

    ``losses`` is a list of loss configs (``MODELS``), each ``forward(logits, SegBatch)``; a
    config may carry ``start_iter`` / ``ramp_iters`` (two-phase schedule, see
    :class:`~wsseg.losses.schedule.LossSchedule`). The batch's ``valid`` mask is False on the
    padding added by :class:`SegDataPreprocessor`, so regularisers ignore it.
    A non-finite loss stops training with the iteration and the batch's files named.

    ``test_cfg=dict(crf=dict(n_iters=5, sigma_rgb=13, ...))`` refines every prediction with the
    mean-field CRF (:func:`wsseg.refine.crf.dense_crf_meanfield`, keyword arguments as there).

    ``train_autocast='bfloat16'`` runs the network's training forward (and so its backward)
    under ``torch.autocast`` on the input's device, CPU or CUDA: about 1.7x faster per step on
    CPUs with AVX512-BF16 (mmengine's AmpOptimWrapper refuses CPUs). A device without native
    bfloat16 (an AVX2-only CPU, where it is many times slower) trains in float32 and warns once
    (:mod:`wsseg.utils.autocast`). Losses always see float32 logits and run outside autocast;
    validation and prediction stay in float32.
    """

    def __init__(self, net: dict, losses: list[dict], data_preprocessor: dict | None = None,
                 test_cfg: dict | None = None, train_autocast: str | None = None,
                 init_cfg: dict | None = None):
        pre = data_preprocessor or dict(type='SegDataPreprocessor')
        super().__init__(data_preprocessor=MODELS.build(pre) if isinstance(pre, dict) else pre,
                         init_cfg=init_cfg)
        self.net = MODELS.build(net)
        self.losses = torch.nn.ModuleList(MODELS.build(LossSchedule.wrap(dict(c))) for c in losses)
        self.test_cfg = dict(test_cfg or {})
        unknown = set(self.test_cfg) - {'crf'}
        if unknown:
            raise ValueError(f'WeakSegmentor: unknown test_cfg keys {sorted(unknown)} (known: crf)')
        if self.test_cfg.get('crf') is not None:
            from wsseg.refine.crf import check_crf_kwargs
            check_crf_kwargs(dict(self.test_cfg['crf']), 'WeakSegmentor test_cfg.crf')
        if train_autocast not in (None, 'bfloat16', 'float16'):
            raise ValueError(f"WeakSegmentor: train_autocast must be None, 'bfloat16' or 'float16', "
                             f'got {train_autocast!r}')
        self.train_autocast = train_autocast
        self.iteration = 0          # set by the SetIterationHook, for loss schedules

    def forward(self, inputs: torch.Tensor, data_samples: list[SegSample] | None = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            dtype = autocast_dtype(self.train_autocast, inputs.device.type, 'WeakSegmentor')
            with torch.autocast(inputs.device.type, dtype=dtype, enabled=dtype is not None):
                logits = self.net(inputs)
            with torch.autocast(inputs.device.type, enabled=False):
                return self.loss(logits.float(), inputs, data_samples)
        logits = self.net(inputs)
        if mode == 'tensor':
            return logits
        if mode == 'predict':
            return self.predict(logits, data_samples, inputs)
        raise ValueError(f'WeakSegmentor: unknown mode {mode!r}')

    def loss(self, logits: torch.Tensor, inputs: torch.Tensor, samples: list[SegSample]) -> dict:
        target = torch.stack([s.target if s.target is not None
                              else torch.full(logits.shape[-2:], 255, device=logits.device, dtype=torch.long)
                              for s in samples])
        batch = SegBatch(images=self.data_preprocessor.denormalise(inputs), target=target,
                         weak=[s.weak for s in samples], img_paths=[s.img_path for s in samples],
                         iteration=self.iteration, valid=valid_mask(samples, inputs))
        out = {}
        for loss in self.losses:
            value = loss(logits, batch)
            if not torch.isfinite(value):
                raise FloatingPointError(f'{loss.loss_name} is {value.item()} at iteration {self.iteration} '
                                         f'on images {batch.img_paths}')
            out[loss.loss_name] = value
        return out

    @torch.no_grad()
    def predict(self, logits: torch.Tensor, samples: list[SegSample],
                inputs: torch.Tensor | None = None) -> list[SegSample]:
        """Argmax and its probability per sample (padding cropped); CRF-refined with
        ``test_cfg.crf`` (which needs ``inputs``, the preprocessed batch)."""
        if inputs is not None and logits.shape[-2:] != inputs.shape[-2:]:
            logits = F.interpolate(logits, inputs.shape[-2:], mode='bilinear', align_corners=False)
        probs = logits.softmax(1)
        crf = self.test_cfg.get('crf')
        if crf is not None and inputs is None:
            raise ValueError('WeakSegmentor.predict: test_cfg.crf needs the input images')
        images = self.data_preprocessor.denormalise(inputs) if crf is not None else None
        for i, (s, p) in enumerate(zip(samples, probs)):
            h, w = s.img_shape
            p = p[:, :h, :w]
            if crf is not None:
                from wsseg.refine.crf import dense_crf_meanfield
                p = dense_crf_meanfield(images[i:i + 1, :, :h, :w], p[None], **crf)[0].to(p.dtype)
            conf, pred = p.max(0)
            s.pred = pred
            s.extra['confidence'] = conf
        return samples
