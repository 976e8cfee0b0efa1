"""Each constraint on tiny maps whose truth values are computed by hand in probability space."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import wsseg.logic.superpixels as sp_mod
from wsseg.logic import CONSTRAINTS
from wsseg.logic.constraints import (BoxTightness, OutsideBoxesBackground, PointClass, ScribbleClass,
                                     TagsAbsent, TagsPresent)
from wsseg.logic.constraints_local import NeighbourConsensus, NeighbourSupport, SuperpixelBorder
from wsseg.logic.superpixels import SuperpixelCache, superpixel_labels
from wsseg.logic.tnorm import LOG_FALSE
from wsseg.structures import WeakLabels
from wsseg.utils.io import DataError

L = math.log


def two_class(p1) -> torch.Tensor:
    """(1, 2, H, W) log-probabilities from the class-1 probability map ``p1``."""
    p1 = torch.tensor(p1, dtype=torch.float64)
    return torch.stack([1 - p1, p1])[None].log()


def onehot_logp(labels, k: int, conf: float = 1 - 1e-9) -> torch.Tensor:
    lab = torch.as_tensor(labels)
    p = torch.full((k, *lab.shape), (1 - conf) / (k - 1), dtype=torch.float64)
    p.scatter_(0, lab[None], conf)
    return p[None].log()


def weak(h, w, **kw) -> WeakLabels:
    return WeakLabels(image_size=(h, w), source=kw.pop('source', 'img.png'), **kw)


def imp(p, q):          # p -> q
    return 1 - p + p * q


# ------------------------------------------------------------------ boxes
def test_outside_boxes_background_by_hand():
    logp = two_class([[0.7, 0.1], [0.5, 0.2]])            # background = 1 - p1
    w = weak(2, 2, boxes=[[0, 0, 1, 1]], box_labels=[1])   # covers pixel (0, 0) only
    got = OutsideBoxesBackground()(logp, [w]).item()
    assert math.isclose(got, (L(0.9) + L(0.5) + L(0.8)) / 3, rel_tol=1e-9)


def test_outside_boxes_perfect_violating_and_vacuous():
    c = OutsideBoxesBackground()
    lab = np.zeros((4, 5), np.int64)
    lab[1:3, 1:4] = 1
    w = weak(4, 5, boxes=[[1, 1, 4, 3]], box_labels=[1])
    assert c(onehot_logp(lab, 2), [w]).item() > -1e-6
    assert c(onehot_logp(np.ones_like(lab), 2, conf=1 - 1e-6), [w]).item() < -13
    assert c(onehot_logp(lab, 2), [weak(4, 5)]).item() == 0.0          # no boxes
    assert c(onehot_logp(lab, 2), [None]).item() == 0.0
    # a fractional box touches every pixel it overlaps: nothing left outside -> vacuous
    assert c(two_class([[0.9, 0.9], [0.9, 0.9]]), [weak(2, 2, boxes=[[0.5, 0.5, 1.2, 1.2]],
                                                         box_labels=[1])]).item() == 0.0


def test_box_tightness_by_hand():
    a, b, c_, d = 0.1, 0.2, 0.3, 0.4
    logp = two_class([[a, b, 0.9], [c_, d, 0.9], [0.9, 0.9, 0.9]])
    w = weak(3, 3, boxes=[[0, 0, 2, 2]], box_labels=[1])
    rows = [1 - (1 - a) * (1 - b), 1 - (1 - c_) * (1 - d)]
    cols = [1 - (1 - a) * (1 - c_), 1 - (1 - b) * (1 - d)]
    want = np.mean(np.log(rows + cols))
    assert math.isclose(BoxTightness()(logp, [w]).item(), want, rel_tol=1e-9)


def test_box_tightness_perfect_and_violating():
    w = weak(4, 4, boxes=[[0, 0, 3, 3]], box_labels=[2])
    lab = np.zeros((4, 4), np.int64)
    lab[[0, 1, 2], [0, 1, 2]] = 2                          # a diagonal fills every row and column
    assert BoxTightness()(onehot_logp(lab, 3), [w]).item() > -1e-5
    lab[1, :] = 0                                          # row 1 and column 1 lose class 2
    got = BoxTightness()(onehot_logp(lab, 3, conf=1 - 1e-6), [w]).item()
    assert got < 2 * math.log(1e-6) / 6 + 1                # 2 of 6 lines false (~ -13.8 each)


def test_boxes_batched_with_different_numbers_of_boxes():
    g = torch.Generator().manual_seed(0)
    logp = torch.randn(3, 3, 6, 7, generator=g).log_softmax(1)
    ws = [weak(6, 7, boxes=[[0, 0, 3, 3], [2, 1, 7, 6]], box_labels=[1, 2]),
          weak(6, 7),
          weak(6, 7, boxes=[[1, 1, 4, 5]], box_labels=[0])]
    for c in (BoxTightness(), OutsideBoxesBackground()):
        out = c(logp, ws)
        assert out.shape == (3,)
        assert out[1].item() == 0.0 and out[0].item() < 0 and out[2].item() < 0
        for i in range(3):        # batched equals one image at a time
            assert torch.allclose(out[i], c(logp[i:i + 1], [ws[i]])[0])


def test_padded_batch_only_grounds_the_weak_label_frame():
    g = torch.Generator().manual_seed(1)
    small = torch.randn(1, 3, 4, 5, generator=g).log_softmax(1)
    big = torch.randn(1, 3, 6, 8, generator=g).log_softmax(1)
    big[..., :4, :5] = small                               # image in the top-left, then padding
    w = weak(4, 5, boxes=[[1, 1, 3, 4]], box_labels=[1], tags=[1], points=[[0, 0]], point_labels=[2])
    for c in (OutsideBoxesBackground(), BoxTightness(), TagsAbsent(), TagsPresent(), PointClass(),
              NeighbourSupport(), NeighbourConsensus(4)):
        assert torch.allclose(c(big, [w]), c(small, [w])), c


# ------------------------------------------------------------------ scribbles and points
def test_scribble_and_point_class_by_hand():
    probs = torch.tensor([[[0.5, 0.2, 0.1], [0.3, 0.6, 0.2]],
                          [[0.3, 0.7, 0.8], [0.3, 0.3, 0.1]],
                          [[0.2, 0.1, 0.1], [0.4, 0.1, 0.7]]], dtype=torch.float64)
    assert torch.allclose(probs.sum(0), torch.ones(2, 3, dtype=torch.float64))
    logp = probs[None].log()
    scr = np.full((2, 3), 255, np.uint8)
    scr[0, 1], scr[1, 2] = 1, 2                            # p = 0.7, 0.7
    w = weak(2, 3, scribbles=scr, points=[[0, 1]], point_labels=[0])   # (x=0, y=1): p = 0.3
    assert math.isclose(ScribbleClass()(logp, [w]).item(), (2 * L(0.7) + L(0.3)) / 3, rel_tol=1e-9)
    assert math.isclose(ScribbleClass(include_points=False)(logp, [w]).item(), L(0.7), rel_tol=1e-9)
    assert math.isclose(PointClass()(logp, [w]).item(), L(0.3), rel_tol=1e-9)
    assert ScribbleClass()(logp, [weak(2, 3)]).item() == 0.0
    only_point = weak(2, 3, points=[[0, 0]], point_labels=[1])
    assert ScribbleClass(include_points=False)(logp, [only_point]).item() == 0.0
    assert PointClass()(logp, [weak(2, 3, scribbles=scr)]).item() == 0.0


# ------------------------------------------------------------------ tags
def test_tags_by_hand():
    probs = torch.tensor([[[0.5, 0.2]], [[0.3, 0.7]], [[0.2, 0.1]]], dtype=torch.float64)  # K=3, 1x2
    logp = probs[None].log()
    w = weak(1, 2, tags=[1])
    # class 2 is absent (background 0 never is): mean over pixels of log(1 - p2)
    assert math.isclose(TagsAbsent()(logp, [w]).item(), (L(0.8) + L(0.9)) / 2, rel_tol=1e-9)
    # without a background class, class 0 is absent too
    assert math.isclose(TagsAbsent(background_index=None)(logp, [w]).item(),
                        (L(0.5 * 0.8) + L(0.8 * 0.9)) / 2, rel_tol=1e-9)
    w2 = weak(1, 2, tags=[1, 2])
    want = (L(1 - 0.7 * 0.3) + L(1 - 0.8 * 0.9)) / 2
    assert math.isclose(TagsPresent()(logp, [w2]).item(), want, rel_tol=1e-9)
    assert TagsAbsent()(logp, [w2]).item() == 0.0          # nothing absent
    # no tags: fall back on the classes the other annotations name
    w3 = weak(1, 2, boxes=[[0, 0, 1, 1]], box_labels=[2])
    assert math.isclose(TagsPresent()(logp, [w3]).item(), L(1 - 0.8 * 0.9), rel_tol=1e-9)
    assert math.isclose(TagsAbsent()(logp, [w3]).item(), (L(0.7) + L(0.3)) / 2, rel_tol=1e-9)
    assert TagsPresent()(logp, [weak(1, 2)]).item() == 0.0
    assert TagsAbsent()(logp, [None]).item() == 0.0


def test_tags_present_violated_is_strongly_negative():
    logp = onehot_logp(np.zeros((3, 3), np.int64), 3, conf=1 - 1e-6)
    assert TagsPresent()(logp, [weak(3, 3, tags=[2])]).item() < -10
    assert TagsAbsent()(onehot_logp(np.full((3, 3), 2), 3), [weak(3, 3, tags=[1])]).item() < -15


# ------------------------------------------------------------------ neighbourhoods
def test_neighbour_support_and_consensus_on_two_pixels():
    a, b = 0.8, 0.3                                        # class-1 probabilities of the 2 pixels
    logp = two_class([[a, b]])
    pa, pb = (1 - a, a), (1 - b, b)
    # pixel A: forall C: is(A,C) -> is(B,C); pixel B symmetric
    fa = L(imp(pa[0], pb[0])) + L(imp(pa[1], pb[1]))
    fb = L(imp(pb[0], pa[0])) + L(imp(pb[1], pa[1]))
    for conn in (4, 8):
        assert math.isclose(NeighbourSupport(conn)(logp, [None]).item(), (fa + fb) / 2, rel_tol=1e-9)
        # one neighbour each: consensus is the converse, same sum over the two pixels
        assert math.isclose(NeighbourConsensus(conn)(logp, [None]).item(), (fa + fb) / 2, rel_tol=1e-9)


def reference_neighbour(p: np.ndarray, conn: int, kind: str) -> float:
    """Plain loops in probability space over a (K, H, W) probability map."""
    k, h, w = p.shape
    offs = [(-1, 0), (1, 0), (0, -1), (0, 1)] + ([(-1, -1), (-1, 1), (1, -1), (1, 1)] if conn == 8 else [])
    vals = []
    for y in range(h):
        for x in range(w):
            nb = [(y + dy, x + dx) for dy, dx in offs if 0 <= y + dy < h and 0 <= x + dx < w]
            if not nb:
                continue
            t = 1.0
            for c in range(k):
                if kind == 'support':
                    ex = 1 - np.prod([1 - p[c, qy, qx] for qy, qx in nb])
                    t *= imp(p[c, y, x], ex)
                else:
                    fa = np.prod([p[c, qy, qx] for qy, qx in nb])
                    t *= imp(fa, p[c, y, x])
            vals.append(math.log(t))
    return float(np.mean(vals)) if vals else 0.0


@pytest.mark.parametrize('conn', [4, 8])
def test_neighbour_constraints_match_a_loop_reference(conn):
    g = torch.Generator().manual_seed(conn)
    logp = (torch.randn(2, 3, 3, 4, generator=g, dtype=torch.float64) * 2).log_softmax(1)
    p = logp.exp().numpy()
    sup, con = NeighbourSupport(conn)(logp, [None, None]), NeighbourConsensus(conn)(logp, [None, None])
    for i in range(2):
        assert math.isclose(sup[i].item(), reference_neighbour(p[i], conn, 'support'), rel_tol=1e-9)
        assert math.isclose(con[i].item(), reference_neighbour(p[i], conn, 'consensus'), rel_tol=1e-9)


def test_neighbour_constraints_perfect_violating_and_single_pixel():
    lab = np.zeros((5, 5), np.int64)
    lab[1:4, 1:4] = 1
    for c in (NeighbourSupport(), NeighbourConsensus()):
        assert c(onehot_logp(lab, 2), [None]).item() > -1e-6
    iso = np.zeros((5, 5), np.int64)
    iso[2, 2] = 1                                          # an isolated pixel breaks both
    # only the isolated pixel's grounding fails: 1 - p + p q with p ~ 1, q = 1 - (1 - 1e-6)^8,
    # and for consensus 1 - f + f q with f = (1 - 1e-6)^8, q = 1e-6: both ~ 9e-6
    want = L(9e-6) / 25
    for c in (NeighbourSupport(), NeighbourConsensus()):
        assert math.isclose(c(onehot_logp(iso, 2, 1 - 1e-6), [None]).item(), want, rel_tol=1e-3)
    assert NeighbourSupport()(onehot_logp(np.zeros((1, 1), np.int64), 2), [None]).item() == 0.0


# ------------------------------------------------------------------ superpixels
class FixedSegment:
    """Stands in for scikit-image: returns a given map and counts the calls."""

    def __init__(self, labels):
        self.labels, self.calls = np.asarray(labels), 0

    def __call__(self, image, method, params):
        self.calls += 1
        return self.labels.copy()


def test_superpixel_border_by_hand(monkeypatch):
    seg = FixedSegment([[0, 0], [1, 1]])
    monkeypatch.setattr(sp_mod, '_segment', seg)
    logp = two_class([[0.9, 0.4], [0.2, 0.3]])
    images = torch.rand(1, 3, 2, 2)

    def iff(p, q):
        return imp(p, q) * imp(q, p)

    # same-superpixel 4-pairs: (0,0)-(0,1) and (1,0)-(1,1); product over both classes
    pair1 = L(iff(0.9, 0.4)) + L(iff(0.1, 0.6))
    pair2 = L(iff(0.2, 0.3)) + L(iff(0.8, 0.7))
    c = SuperpixelBorder(connectivity=4, cache=SuperpixelCache())
    assert math.isclose(c(logp, [None], images).item(), (pair1 + pair2) / 2, rel_tol=1e-9)
    # 8-connectivity adds no same-superpixel pair here (diagonals cross the border)
    c8 = SuperpixelBorder(connectivity=8, cache=SuperpixelCache())
    assert math.isclose(c8(logp, [None], images).item(), (pair1 + pair2) / 2, rel_tol=1e-9)


def halves_image(h=16, w=16, seed=0) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    img = np.zeros((3, h, w), np.float32)
    img[:, :, : w // 2] = np.array([0.9, 0.2, 0.1])[:, None, None]
    img[:, :, w // 2:] = np.array([0.1, 0.3, 0.9])[:, None, None]
    img += rng.normal(0, 0.01, img.shape).astype(np.float32)
    return torch.from_numpy(img.clip(0, 1))


def test_superpixel_border_on_real_felzenszwalb_segments():
    img = halves_image()
    params = dict(scale=100, sigma=0.3, min_size=20)
    labels = superpixel_labels(img, 'felzenszwalb', params, cache=SuperpixelCache())
    left, right = labels[:, :8], labels[:, 8:]
    assert len(np.unique(left)) == 1 and len(np.unique(right)) == 1 and left[0, 0] != right[0, 0]
    c = SuperpixelBorder('felzenszwalb', params, cache=SuperpixelCache())
    good = np.zeros((16, 16), np.int64)
    good[:, 8:] = 1                                        # follows the segments
    bad = np.zeros((16, 16), np.int64)
    bad[:8, :] = 1                                         # cuts across both segments
    assert c(onehot_logp(good, 2), [None], img[None]).item() > -1e-6
    assert c(onehot_logp(bad, 2, 1 - 1e-6), [None], img[None]).item() < -0.5


def test_superpixel_cache_hits_and_misses(monkeypatch):
    real = sp_mod._segment
    calls = []
    monkeypatch.setattr(sp_mod, '_segment', lambda *a: calls.append(1) or real(*a))
    cache = SuperpixelCache(maxsize=2)
    c = SuperpixelBorder('slic', dict(n_segments=4), cache=cache)
    imgs = torch.stack([halves_image(seed=0), halves_image(seed=1)])
    logp = torch.randn(2, 2, 16, 16).log_softmax(1)
    first = c(logp, [None, None], imgs)
    assert len(calls) == 2 and cache.misses == 2 and cache.hits == 0
    second = c(logp, [None, None], imgs)
    assert len(calls) == 2 and cache.hits == 2             # not recomputed
    assert torch.equal(first, second)
    c(logp[:1], [None], halves_image(seed=2)[None])        # a different image: a miss
    assert len(calls) == 3 and cache.misses == 3
    assert len(cache) == 2                                 # LRU bound
    # different parameters are a different key
    SuperpixelBorder('slic', dict(n_segments=9), cache=cache)(logp[:1], [None], imgs[:1])
    assert len(calls) == 4


# ------------------------------------------------------------------ everything: gradients, registry, errors
def all_constraints():
    return [OutsideBoxesBackground(), BoxTightness(), ScribbleClass(), PointClass(), TagsAbsent(),
            TagsPresent(), NeighbourSupport(4), NeighbourSupport(8), NeighbourConsensus(),
            SuperpixelBorder('felzenszwalb', cache=SuperpixelCache())]


@pytest.mark.parametrize('scale', [1.0, 60.0])             # ordinary and saturated logits
def test_gradients_are_finite_for_every_constraint(scale):
    g = torch.Generator().manual_seed(3)
    logits = (torch.randn(2, 4, 8, 9, generator=g) * scale).requires_grad_(True)
    scr = np.full((8, 9), 255, np.uint8)
    scr[2, 1:5] = 3
    ws = [weak(8, 9, boxes=[[1, 1, 5, 6], [4, 0, 9, 8]], box_labels=[1, 2], scribbles=scr,
               points=[[3, 3]], point_labels=[1]),
          weak(7, 9, tags=[3], boxes=[[0, 0, 2, 2]], box_labels=[3])]
    images = torch.rand(2, 3, 8, 9, generator=g)
    for c in all_constraints():
        logits.grad = None
        out = c(logits.log_softmax(1), ws, images)
        assert out.shape == (2,) and torch.isfinite(out).all() and (out <= 1e-6).all(), c
        out.sum().backward()
        assert torch.isfinite(logits.grad).all(), c


def test_registry_builds_every_constraint():
    for name in ('OutsideBoxesBackground', 'BoxTightness', 'ScribbleClass', 'PointClass', 'NeighbourSupport',
                 'NeighbourConsensus', 'SuperpixelBorder', 'TagsAbsent', 'TagsPresent'):
        c = CONSTRAINTS.build(dict(type=name, background_index=0))
        assert type(c).__name__ == name
    assert CONSTRAINTS.build(dict(type='NeighbourSupport', connectivity=4)).connectivity == 4


def test_bad_inputs():
    logp = torch.zeros(1, 2, 4, 4).log_softmax(1)
    with pytest.raises(DataError, match='big.png.*only 4x4'):
        BoxTightness()(logp, [weak(5, 4, source='big.png')])
    with pytest.raises(DataError, match='b.png.*box labels \\[7\\]'):
        BoxTightness()(logp, [weak(4, 4, boxes=[[0, 0, 2, 2]], box_labels=[7], source='b.png')])
    scr = np.full((4, 4), 255, np.uint8)
    scr[0, 0] = 5
    with pytest.raises(DataError, match='s.png.*scribble classes \\[5\\]'):
        ScribbleClass()(logp, [weak(4, 4, scribbles=scr, source='s.png')])
    with pytest.raises(DataError, match='t.png.*tags'):
        TagsPresent()(logp, [weak(4, 4, tags=[3], source='t.png')])
    with pytest.raises(ValueError, match='2 weak labels for a batch of 1'):
        TagsPresent()(logp, [None, None])
    with pytest.raises(ValueError, match='needs images'):
        SuperpixelBorder()(logp, [None])
    with pytest.raises(ValueError, match='background_index 3'):
        OutsideBoxesBackground(background_index=3)(logp, [None])
    with pytest.raises(ValueError, match='needs a background_index'):
        OutsideBoxesBackground(background_index=None)
    with pytest.raises(ValueError, match='connectivity'):
        NeighbourSupport(connectivity=6)
    with pytest.raises(ValueError, match="'watershed'"):
        SuperpixelBorder(method='watershed')
    with pytest.raises(ValueError, match='n_segmets'):
        SuperpixelBorder(method='slic', params=dict(n_segmets=10))
    with pytest.raises(ValueError, match='\\(B, K, H, W\\)'):
        TagsAbsent()(torch.zeros(2, 4, 4), [None])


def test_log_false_floor_bounds_one_violated_grounding():
    # a confidently wrong row in a box costs at most -LOG_FALSE per line
    w = weak(1, 3, boxes=[[0, 0, 3, 1]], box_labels=[1])
    logp = torch.tensor([[[[0.0, 0.0, 0.0]], [[-200.0, -200.0, -200.0]]]])
    got = BoxTightness()(logp, [w]).item()
    assert got >= LOG_FALSE - 1e-3 and got < -15
