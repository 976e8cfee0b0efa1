"""EntropyLoss, SparseMRFLoss and the loss schedule, against hand-computed values."""
from __future__ import annotations

import math

import pytest
import torch

from wsseg.losses.base import SegBatch
from wsseg.losses.entropy import EntropyLoss
from wsseg.losses.mrf import SparseMRFLoss
from wsseg.losses.partial_ce import PartialCrossEntropy
from wsseg.losses.schedule import LossSchedule, Scheduled, scheduled_weight
from wsseg.registry import MODELS


def _batch(images, iteration=0):
    b, _, h, w = images.shape
    return SegBatch(images=images, target=torch.full((b, h, w), 255), iteration=iteration,
                    img_paths=[f'img{i}.png' for i in range(b)])


# ---------------------------------------------------------------- entropy

@pytest.mark.parametrize('k', [2, 3, 7])
def test_entropy_uniform_is_log_k(k):
    logits = torch.full((2, k, 4, 5), 0.3, requires_grad=True)
    value = EntropyLoss()(logits, _batch(torch.zeros(2, 3, 4, 5)))
    assert value.item() == pytest.approx(math.log(k), rel=1e-6)


def test_entropy_one_hot_is_zero_and_hand_value():
    batch = _batch(torch.zeros(1, 3, 1, 2))
    one_hot = torch.tensor([[0.0, -1e4, -1e4], [-1e4, 0.0, -1e4]]).T.reshape(1, 3, 1, 2)
    assert EntropyLoss()(one_hot, batch).item() == pytest.approx(0.0, abs=1e-12)
    # p = (1/2, 1/4, 1/4): H = 1/2 ln 2 + 2 * 1/4 ln 4 = 1.5 ln 2, at both pixels
    logits = torch.log(torch.tensor([0.5, 0.25, 0.25], dtype=torch.float64)).reshape(1, 3, 1, 1).expand(1, 3, 1, 2)
    assert EntropyLoss(weight=2.0)(logits, batch).item() == pytest.approx(2 * 1.5 * math.log(2), rel=1e-12)


def test_entropy_valid_mask_and_gradient():
    logits = torch.zeros(1, 2, 2, 2, dtype=torch.float64)
    logits[0, 0, 0] = 1e4                                    # top row one-hot, bottom row uniform
    logits.requires_grad_(True)
    valid = torch.tensor([[[True, True], [False, False]]])
    batch = _batch(torch.zeros(1, 3, 2, 2))
    assert EntropyLoss()(logits, batch, valid=valid).item() == pytest.approx(0.0, abs=1e-12)
    assert EntropyLoss()(logits, batch).item() == pytest.approx(math.log(2) / 2)
    # logits at half the image size: the mask is resized to them
    small = torch.zeros(1, 2, 1, 1, requires_grad=True)
    value = EntropyLoss()(small, _batch(torch.zeros(1, 3, 2, 2)), valid=torch.ones(1, 2, 2, dtype=torch.bool))
    value.backward()
    assert value.item() == pytest.approx(math.log(2)) and torch.isfinite(small.grad).all()


def test_entropy_extreme_logits_finite_gradient():
    logits = torch.tensor([[[[1e4]], [[-1e4]], [[0.0]]]], requires_grad=True)
    value = EntropyLoss()(logits, _batch(torch.zeros(1, 3, 1, 1)))
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(logits.grad).all()


# ---------------------------------------------------------------- sparse MRF

def _hand_2x2():
    """Top row black, bottom row (10, 10, 0): with sigma = 10 a vertical pair weighs
    exp(-200 / 200) = 1/e, a horizontal one 1. Probabilities (class 0):
    TL 0.75, TR 0.5, BL 0.25, BR 0.25 (logits = log p reproduce them exactly)."""
    images = torch.zeros(1, 3, 2, 2, dtype=torch.float64)
    images[0, :2, 1] = 10 / 255
    p0 = torch.tensor([[0.75, 0.5], [0.25, 0.25]], dtype=torch.float64)
    logits = torch.stack([p0, 1 - p0]).log()[None].requires_grad_(True)
    return images, logits


def test_mrf_hand_2x2_quadratic_4_and_8():
    images, logits = _hand_2x2()
    e = math.exp(-1)
    # 1/2 ||s_p - s_q||^2 = (dp)^2 for K = 2: TL-TR 0.0625, BL-BR 0, TL-BL 0.25, TR-BR 0.0625
    four = (1 * 0.0625 + 1 * 0.0 + e * 0.25 + e * 0.0625) / 4
    # diagonals weigh 1/e / sqrt(2): TL-BR 0.25, TR-BL 0.0625
    eight = four + (e / math.sqrt(2)) * (0.25 + 0.0625) / 4
    batch = _batch(images)
    assert SparseMRFLoss(sigma=10.0)(logits, batch).item() == pytest.approx(four, rel=1e-12)
    assert SparseMRFLoss(sigma=10.0, neighbourhood=8)(logits, batch).item() == pytest.approx(eight, rel=1e-12)
    no_dist = four + e * (0.25 + 0.0625) / 4
    assert SparseMRFLoss(sigma=10.0, neighbourhood=8, diagonal_distance=False)(logits, batch).item() \
        == pytest.approx(no_dist, rel=1e-12)


def test_mrf_hand_2x2_bilinear():
    images, logits = _hand_2x2()
    e = math.exp(-1)
    # 1 - s_p . s_q: TL-TR 0.5, BL-BR 0.375, TL-BL 0.625, TR-BR 0.5
    expected = (0.5 + 0.375 + e * (0.625 + 0.5)) / 4
    value = SparseMRFLoss(sigma=10.0, relaxation='bilinear')(logits, _batch(images))
    assert value.item() == pytest.approx(expected, rel=1e-12)


def test_mrf_gradient_matches_hand_derivative():
    """d/dp_TL of 1/4 [(p_TL - p_TR)^2 + e^-1 (p_TL - p_BL)^2] through the softmax."""
    images, logits = _hand_2x2()
    SparseMRFLoss(sigma=10.0)(logits, _batch(images)).backward()
    dl_dp = (2 * (0.75 - 0.5) + 2 * math.exp(-1) * (0.75 - 0.25)) / 4
    # p0 = sigmoid(z0 - z1): dp0/dz0 = p0 (1 - p0)
    assert logits.grad[0, 0, 0, 0].item() == pytest.approx(dl_dp * 0.75 * 0.25, rel=1e-10)


def test_mrf_valid_mask_drops_pairs():
    images, logits = _hand_2x2()
    valid = torch.tensor([[[True, True], [False, False]]])
    value = SparseMRFLoss(sigma=10.0)(logits, _batch(images), valid=valid)
    assert value.item() == pytest.approx(0.0625 / 2, rel=1e-12)         # only TL-TR, over 2 pixels


@pytest.mark.parametrize('kwargs, word', [(dict(sigma=0.0), 'sigma'), (dict(sigma=-3.0), 'sigma'),
                                          (dict(neighbourhood=6), 'neighbourhood'),
                                          (dict(relaxation='cubic'), 'relaxation')])
def test_mrf_bad_config(kwargs, word):
    with pytest.raises(ValueError, match=word):
        SparseMRFLoss(**kwargs)


# ---------------------------------------------------------------- schedule

def test_scheduled_weight_values():
    assert scheduled_weight(2.0, 100, 0, 99) == 0.0
    assert scheduled_weight(2.0, 100, 0, 100) == 2.0
    assert scheduled_weight(2.0, 100, 4, 100) == 0.5          # (100 - 100 + 1) / 4 * 2
    assert scheduled_weight(2.0, 100, 4, 102) == 1.5
    assert scheduled_weight(2.0, 100, 4, 103) == 2.0
    assert scheduled_weight(2.0, 100, 4, 5000) == 2.0
    assert scheduled_weight(0.5, 0, 0, 0) == 0.5
    with pytest.raises(ValueError, match='start_iter'):
        scheduled_weight(1.0, -1, 0, 0)
    with pytest.raises(ValueError, match='ramp_iters'):
        LossSchedule(0, -5)


def test_wrap_config():
    cfg = dict(type='DenseCRFLoss', weight=0.5, start_iter=10, ramp_iters=3)
    assert LossSchedule.wrap(cfg) == dict(type='Scheduled', loss=dict(type='DenseCRFLoss', weight=0.5),
                                          start_iter=10, ramp_iters=3)
    plain = dict(type='PartialCrossEntropy')
    assert LossSchedule.wrap(plain) is plain


def test_scheduled_skips_before_start(monkeypatch):
    loss = MODELS.build(dict(type='Scheduled', loss=dict(type='EntropyLoss', weight=2.0),
                             start_iter=5, ramp_iters=2))
    assert isinstance(loss, Scheduled) and loss.loss_name == 'loss_entropy'
    logits = torch.zeros(1, 4, 3, 3, requires_grad=True)
    calls = []
    inner_forward = loss.loss.forward
    monkeypatch.setattr(loss.loss, 'forward', lambda *a, **k: calls.append(1) or inner_forward(*a, **k))
    early = loss(logits, _batch(torch.zeros(1, 3, 3, 3), iteration=4))
    assert early.item() == 0.0 and early.grad_fn is None and not calls
    half = loss(logits, _batch(torch.zeros(1, 3, 3, 3), iteration=5))
    full = loss(logits, _batch(torch.zeros(1, 3, 3, 3), iteration=6))
    assert len(calls) == 2
    assert half.item() == pytest.approx(0.5 * 2.0 * math.log(4))
    assert full.item() == pytest.approx(2.0 * math.log(4)) and full.requires_grad


def test_two_phase_schedule_in_weak_segmentor(one_thread):
    """WeakSegmentor with partial CE + a scheduled CRF loss: 0 (and no CRF compute) before
    start_iter, positive after, and the summed loss back-propagates into the network."""
    from wsseg.datasets.transforms import SegSample
    model = MODELS.build(dict(
        type='WeakSegmentor',
        net=dict(type='DeepLabV3Plus', num_classes=3, depth=18, aspp_channels=16),
        losses=[dict(type='PartialCrossEntropy'),
                LossSchedule.wrap(dict(type='DenseCRFLoss', weight=0.5, start_iter=2, ramp_iters=2)),
                dict(type='Scheduled', loss=dict(type='EntropyLoss', weight=0.1), start_iter=1)]))
    g = torch.Generator().manual_seed(0)
    images = [(torch.rand(3, 32, 32, generator=g) * 255).to(torch.uint8) for _ in range(2)]
    samples = []
    for i in range(2):
        target = torch.full((32, 32), 255, dtype=torch.long)
        target[4:8, 4:20] = i
        samples.append(SegSample(img_path=f'img{i}.png', img_id=f'img{i}', ori_shape=(32, 32),
                                 img_shape=(32, 32), target=target))
    data = model.data_preprocessor(dict(inputs=images, data_samples=samples), True)
    values = []
    for it in range(4):
        model.iteration = it
        values.append(model(**data, mode='loss'))
    assert values[0]['loss_crf'].item() == 0 and values[0]['loss_entropy'].item() == 0
    assert values[1]['loss_crf'].item() == 0 and values[1]['loss_entropy'].item() > 0
    assert values[2]['loss_crf'].item() > 0 and values[3]['loss_crf'].requires_grad
    sum(values[3].values()).backward()
    grads = [p.grad for p in model.net.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(gr).all() for gr in grads)
