"""WeakSegmentor with dense losses: schedules from loss configs and batch padding left out of the
regularisers. (An image without scribbles: tests/reliability/test_bad_inputs.py.)"""
from __future__ import annotations

import pytest
import torch

from wsseg.datasets.transforms import SegSample
from wsseg.losses.schedule import Scheduled
from wsseg.registry import MODELS

REGULARISERS = [dict(type='DenseCRFLoss', weight=0.5, radius=2), dict(type='EntropyLoss', weight=1.0),
                dict(type='SparseMRFLoss', weight=1.0), dict(type='NormalizedCutLoss', weight=1.0, radius=2)]


def _model(losses: list[dict]):
    return MODELS.build(dict(type='WeakSegmentor', losses=losses,
                             net=dict(type='DeepLabV3Plus', num_classes=3, depth=18, aspp_channels=16)))


def _samples(shapes, labelled=(True, True)):
    g = torch.Generator().manual_seed(0)
    images, samples = [], []
    for i, (h, w) in enumerate(shapes):
        images.append((torch.rand(3, h, w, generator=g) * 255).to(torch.uint8))
        target = torch.full((h, w), 255, dtype=torch.long)
        if labelled[i]:
            target[2:6, 2:12] = i
        samples.append(SegSample(img_path=f'/data/img{i}.png', img_id=f'img{i}', ori_shape=(h, w),
                                 img_shape=(h, w), target=target))
    return images, samples


def test_loss_configs_with_start_iter_are_scheduled():
    model = _model([dict(type='PartialCrossEntropy'),
                    dict(type='EntropyLoss', weight=0.3, start_iter=3, ramp_iters=2)])
    assert isinstance(model.losses[1], Scheduled) and not isinstance(model.losses[0], Scheduled)
    images, samples = _samples([(32, 32), (32, 32)])
    data = model.data_preprocessor(dict(inputs=images, data_samples=samples), True)
    got = []
    for it in (2, 3, 4):
        model.iteration = it
        got.append(model(**data, mode='loss')['loss_entropy'].item())
    assert got[0] == 0.0 and got[1] > 0
    assert got[2] == pytest.approx(2 * got[1], rel=0.05)   # ramp: 1/2 then the full weight


@pytest.mark.parametrize('cfg', REGULARISERS, ids=lambda c: c['type'])
def test_padding_is_left_out(cfg):
    """Two images of different sizes in one batch: changing the logits on the padding changes
    neither the loss nor anything's gradient through the segmentor's valid mask, while the
    same loss without the mask does see it."""
    from wsseg.losses.base import SegBatch
    model = _model([cfg])
    images, samples = _samples([(32, 40), (20, 24)])
    data = model.data_preprocessor(dict(inputs=images, data_samples=samples), True)
    inputs = data['inputs']
    assert inputs.shape[-2:] == (32, 40)   # the second image is padded to the first
    pad = torch.zeros(2, 1, 32, 40, dtype=torch.bool)
    pad[1, :, 20:, :] = pad[1, :, :, 24:] = True
    g = torch.Generator().manual_seed(1)
    base = torch.randn(2, 3, 32, 40, generator=g)
    values, unmasked = [], []
    for _ in range(2):
        logits = torch.where(pad, torch.randn(2, 3, 32, 40, generator=g) * 5, base).requires_grad_(True)
        value = next(iter(model.loss(logits, inputs, data['data_samples']).values()))
        value.backward()
        assert torch.isfinite(logits.grad).all() and logits.grad[pad.expand(-1, 3, -1, -1)].abs().max() == 0
        values.append(value.item())
        batch = SegBatch(images=model.data_preprocessor.denormalise(inputs), target=torch.full((2, 32, 40), 255))
        unmasked.append(model.losses[0](logits.detach(), batch).item())
    assert values[0] == pytest.approx(values[1], rel=1e-5, abs=1e-7)
    assert unmasked[0] != pytest.approx(unmasked[1], rel=1e-3)


