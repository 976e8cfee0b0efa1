"""LogicLoss / MMSegLogicLoss: the combination, the interfaces, and that it trains."""
from __future__ import annotations


import numpy as np
import pytest
import torch

from wsseg.logic import LogicLoss, MMSegLogicLoss
from wsseg.logic.constraints import ScribbleClass
from wsseg.losses.base import SegBatch
from wsseg.registry import MODELS
from wsseg.structures import WeakLabels


def make_batch(h=8, w=10, seed=0) -> SegBatch:
    g = torch.Generator().manual_seed(seed)
    scr = np.full((h, w), 255, np.uint8)
    scr[1, 1:4] = 0
    scr[4, 3:6] = 2
    weak = [WeakLabels((h, w), boxes=[[2, 2, 7, 7]], box_labels=[2], scribbles=scr, source='a.png'),
            WeakLabels((h, w), tags=[1], boxes=[[0, 0, 3, 3], [5, 1, 10, 8]], box_labels=[1, 1],
                       source='b.png')]
    return SegBatch(images=torch.rand(2, 3, h, w, generator=g), target=torch.full((2, h, w), 255),
                    weak=weak, img_paths=['a.png', 'b.png'])


CFG = [dict(type='OutsideBoxesBackground', weight=2.0), dict(type='BoxTightness', weight=0.5),
       dict(type='ScribbleClass'), dict(type='TagsAbsent', weight=0.25),
       dict(type='NeighbourConsensus', connectivity=4, weight=0.1),
       dict(type='SuperpixelBorder', method='felzenszwalb', weight=0.3)]


def test_loss_is_the_negated_weighted_conjunction():
    batch = make_batch()
    logits = torch.randn(2, 3, 8, 10, generator=torch.Generator().manual_seed(1))
    loss = LogicLoss(CFG, weight=1.5)
    terms = loss.terms(logits, batch)
    assert list(terms) == ['OutsideBoxesBackground', 'BoxTightness', 'ScribbleClass', 'TagsAbsent',
                           'NeighbourConsensus', 'SuperpixelBorder']
    assert all(t.ndim == 0 and t.item() < 0 for t in terms.values())
    want = -1.5 * sum(c.get('weight', 1.0) * terms[c['type']] for c in CFG)
    assert torch.allclose(loss(logits, batch), want)
    # per-image values: each constraint alone on one image matches
    logp = logits.log_softmax(1)
    sc = ScribbleClass()(logp, batch.weak)
    assert torch.allclose(terms['ScribbleClass'], sc.mean())
    assert sc[1].item() == 0.0                      # image b has no scribbles: vacuously true


def test_built_from_the_registry_with_loss_name_and_defaults():
    loss = MODELS.build(dict(type='LogicLoss', constraints=[dict(type='BoxTightness'),
                                                            dict(type='BoxTightness', weight=3)]))
    assert loss.loss_name == 'loss_logic'
    assert loss.names == ['BoxTightness', 'BoxTightness_2'] and loss.weights == [1.0, 3.0]
    loss = LogicLoss([dict(type='TagsAbsent')], background_index=None)
    assert loss.constraints[0].background_index is None
    loss = LogicLoss([dict(type='TagsAbsent', background_index=2, name='absent')], background_index=0)
    assert loss.names == ['absent'] and loss.constraints[0].background_index == 2


def test_low_resolution_logits_are_resized_to_the_images():
    batch = make_batch()
    small = torch.randn(2, 3, 4, 5, requires_grad=True)
    loss = LogicLoss(CFG)(small, batch)
    assert torch.isfinite(loss) and loss.item() > 0
    loss.backward()
    assert torch.isfinite(small.grad).all() and small.grad.abs().sum() > 0


def test_perfect_prediction_has_near_zero_loss():
    h = w = 8
    lab = np.zeros((h, w), np.int64)
    lab[2:6, 3:7] = 1
    scr = np.full((h, w), 255, np.uint8)
    scr[3, 4], scr[0, 0] = 1, 0
    weak = WeakLabels((h, w), boxes=[[3, 2, 7, 6]], box_labels=[1], scribbles=scr)
    batch = SegBatch(images=torch.rand(1, 3, h, w), target=torch.full((1, h, w), 255), weak=[weak])
    logits = torch.nn.functional.one_hot(torch.from_numpy(lab), 3).permute(2, 0, 1)[None].float() * 30
    cfg = [dict(type='OutsideBoxesBackground'), dict(type='BoxTightness'), dict(type='ScribbleClass'),
           dict(type='TagsAbsent'), dict(type='NeighbourSupport'), dict(type='NeighbourConsensus')]
    assert LogicLoss(cfg)(logits, batch).item() < 1e-5
    wrong = logits.roll(3, dims=-1)                 # the object shifted out of its box
    assert LogicLoss(cfg)(wrong, batch).item() > 1.0


def test_config_errors():
    with pytest.raises(ValueError, match='at least one constraint'):
        LogicLoss([])
    with pytest.raises(ValueError, match='must be a dict with a type'):
        LogicLoss([dict(weight=1.0)])
    with pytest.raises(KeyError):
        LogicLoss([dict(type='NoSuchConstraint')])


# ------------------------------------------------------------------ mmseg-style
def test_mmseg_loss_takes_labels_as_scribbles():
    g = torch.Generator().manual_seed(2)
    cls_score = torch.randn(2, 3, 6, 6, generator=g, requires_grad=True)
    label = torch.full((2, 6, 6), 255, dtype=torch.long)
    label[0, 1, 1:4] = 2
    label[1, 3, 3] = 1
    mm = MMSegLogicLoss(constraints=[dict(type='ScribbleClass')], loss_weight=2.0)
    assert mm.loss_name == 'loss_logic'
    got = mm(cls_score, label, weight=None, ignore_index=255)
    lp = cls_score.log_softmax(1)
    want = -2.0 * ((lp[0, 2, 1, 1:4].mean() + lp[1, 1, 3, 3]) / 2)
    assert torch.allclose(got, want)
    got.backward()
    assert torch.isfinite(cls_score.grad).all()
    # another ignore index, a (B, 1, H, W) label, and the default constraint set
    lab2 = torch.where(label == 255, torch.full_like(label, -1), label)[:, None]
    assert torch.allclose(mm(cls_score, lab2, ignore_index=-1), want)
    default = MMSegLogicLoss()
    assert default.logic.names == ['ScribbleClass', 'NeighbourSupport', 'NeighbourConsensus']
    assert torch.isfinite(default(cls_score, label))


def test_mmseg_loss_errors():
    with pytest.raises(ValueError, match="start with 'loss_'"):
        MMSegLogicLoss(loss_name='logic')
    with pytest.raises(ValueError, match='SuperpixelBorder needs the input images'):
        MMSegLogicLoss(constraints=[dict(type='SuperpixelBorder')])
    label = torch.zeros(1, 4, 4, dtype=torch.long)
    label[0, 0, 0] = 7
    with pytest.raises(ValueError, match='outside 0..2'):
        MMSegLogicLoss()(torch.randn(1, 3, 4, 4), label)
    with pytest.raises(ValueError, match='expected cls_score'):
        MMSegLogicLoss()(torch.randn(1, 3, 4, 4), torch.zeros(4, 4, dtype=torch.long))


# ------------------------------------------------------------------ it trains
def synthetic_object(h=24, w=24, seed=0):
    """A red square (the object, class 1) on a noisy green background, with its tight box,
    a 3-pixel scribble inside and a 3-pixel background scribble."""
    rng = np.random.default_rng(seed)
    img = np.empty((3, h, w), np.float32)
    img[:] = np.array([0.3, 0.5, 0.3])[:, None, None]
    img[:, 6:18, 5:17] = np.array([0.9, 0.15, 0.1])[:, None, None]
    img = (img + rng.normal(0, 0.05, img.shape)).clip(0, 1).astype(np.float32)
    gt = np.zeros((h, w), np.int64)
    gt[6:18, 5:17] = 1
    scr = np.full((h, w), 255, np.uint8)
    scr[12, 8:11] = 1
    scr[2, 3:6] = 0
    weak = WeakLabels((h, w), boxes=[[5, 6, 17, 18]], box_labels=[1], scribbles=scr, source='synthetic')
    return torch.from_numpy(img)[None], gt, weak


def test_logic_loss_trains_a_tiny_network_to_the_box_mask(one_thread):
    images, gt, weak = synthetic_object()
    batch = SegBatch(images=images, target=torch.full(gt.shape, 255)[None], weak=[weak])
    loss_fn = LogicLoss([dict(type='OutsideBoxesBackground'), dict(type='BoxTightness'),
                         dict(type='ScribbleClass'), dict(type='TagsAbsent'),
                         dict(type='SuperpixelBorder', method='felzenszwalb', params=dict(sigma=0.3)),
                         dict(type='NeighbourConsensus', weight=0.5)])
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(8, 3, 1))
    opt = torch.optim.Adam(net.parameters(), lr=0.05)
    losses = []
    for _ in range(100):
        loss = loss_fn(net(images), batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]
    assert np.mean(losses[-10:]) < np.mean(losses[:10])
    pred = net(images).argmax(1)[0].numpy()
    inside, outside = gt == 1, gt == 0
    assert (pred[inside] == 1).mean() > 0.95         # the box's class inside (only 3 pixels scribbled)
    assert (pred[outside] == 0).mean() > 0.99        # background outside
    assert (pred == 2).sum() == 0                    # the untagged class nowhere
