"""OutsideClassBoxes: a class appears only inside its own boxes (label sets with no background)."""
from __future__ import annotations

import math

import numpy as np
import torch

from wsseg.logic import CONSTRAINTS, OutsideClassBoxes
from wsseg.structures import WeakLabels


def weak(h, w, **kw) -> WeakLabels:
    return WeakLabels(image_size=(h, w), source='img.png', **kw)


def test_by_hand_without_background():
    # 3 classes on a 1x3 strip; box of class 1 over pixel 0, box of class 2 over pixels 1-2.
    p = torch.tensor([[0.2, 0.5, 0.1],     # class 0: has no box -> forbidden everywhere
                      [0.7, 0.3, 0.6],     # class 1: allowed at x=0 only
                      [0.1, 0.2, 0.3]],    # class 2: allowed at x=1, 2
                     dtype=torch.float64)
    logp = p.log()[None, :, None, :]                         # (1, 3, 1, 3)
    w = weak(1, 3, boxes=[[0, 0, 1, 1], [1, 0, 3, 1]], box_labels=[1, 2])
    got = OutsideClassBoxes()(logp, [w]).item()
    L = math.log
    want = ((L(0.8) + L(0.9)) + (L(0.5) + L(0.7)) + (L(0.9) + L(0.4))) / 3
    assert math.isclose(got, want, rel_tol=1e-6)


def test_background_is_free_and_the_rest_as_outside_boxes_background():
    # with a background class, a 2-class image reduces to OutsideBoxesBackground
    p1 = torch.tensor([[0.7, 0.1], [0.5, 0.2]], dtype=torch.float64)
    logp = torch.stack([1 - p1, p1])[None].log()
    w = weak(2, 2, boxes=[[0, 0, 1, 1]], box_labels=[1])
    mine = OutsideClassBoxes(background_index=0)(logp, [w])
    theirs = CONSTRAINTS.build(dict(type='OutsideBoxesBackground'))(logp, [w])
    # same groundings' truth, but averaged over all 4 pixels (the inside one is vacuously true)
    assert torch.allclose(mine, theirs * 3 / 4)


def test_perfect_violating_vacuous_and_gradients():
    c = CONSTRAINTS.build(dict(type='OutsideClassBoxes'))
    lab = np.zeros((4, 6), np.int64)
    lab[:, 3:] = 1
    w = weak(4, 6, boxes=[[0, 0, 3, 4], [3, 0, 6, 4]], box_labels=[0, 1])
    onehot = torch.nn.functional.one_hot(torch.as_tensor(lab), 2).permute(2, 0, 1)[None].double()
    good = (onehot * (1 - 2e-9) + 1e-9).log()
    bad = good.flip(-1)                                      # classes swapped left/right
    assert c(good, [w]).item() > -1e-6
    assert c(bad, [w]).item() < -10
    assert c(good, [weak(4, 6)]).item() == 0.0 and c(good, [None]).item() == 0.0
    logits = (torch.randn(2, 3, 4, 6) * 50).requires_grad_(True)
    out = c(logits.log_softmax(1), [w, weak(4, 6, boxes=[[1, 1, 2, 2]], box_labels=[2])])
    assert out.shape == (2,) and torch.isfinite(out).all() and (out <= 0).all()
    out.sum().backward()
    assert torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0
