"""Mean-field dense CRF post-processing (wsseg/refine/crf.py)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from wsseg.refine.crf import dense_crf_meanfield, refine_mask


def _two_regions(h=40, w=50, seed=0, noise=8.0):
    """Left half red, right half blue (plus pixel noise); ground truth 0 / 1."""
    rng = np.random.default_rng(seed)
    gt = np.zeros((h, w), np.uint8)
    gt[:, w // 2:] = 1
    colours = np.where(gt[..., None] == 0, np.array([200, 40, 40]), np.array([40, 60, 200]))
    image = np.clip(colours + rng.normal(0, noise, (h, w, 3)), 0, 255).astype(np.uint8)
    return image, gt, rng


def test_refine_fixes_flipped_labels():
    image, gt, rng = _two_regions()
    noisy = gt.copy()
    flip = rng.random(gt.shape) < 0.10
    noisy[flip] = 1 - noisy[flip]
    before = (noisy == gt).mean()
    after = (refine_mask(image, noisy, 2) == gt).mean()
    assert before == pytest.approx(0.9, abs=0.02)
    assert after > before + 0.05 and after > 0.98


def test_refine_fills_unknown_and_thresholds():
    image, gt, rng = _two_regions(seed=1)
    mask = gt.copy()
    mask[rng.random(gt.shape) < 0.5] = 255                   # half the pixels unknown
    out = refine_mask(image, mask, 2)
    assert (out != 255).all() and (out == gt).mean() > 0.98
    # a large unknown block far from every label stays undecided under a threshold
    mask = np.full(gt.shape, 255, np.uint8)
    mask[:, :3] = 0
    out = refine_mask(image, mask, 3, threshold=0.6, radius=2)
    assert (out[:, -5:] == 255).all() and (out[:, :3] == 0).all()


def test_refine_keep_labelled():
    image, gt, _ = _two_regions()
    mask = gt.copy()
    mask[10, 5] = 1                                          # a wrong but trusted label
    assert refine_mask(image, mask, 2)[10, 5] == 0
    assert refine_mask(image, mask, 2, keep_labelled=True)[10, 5] == 1


@pytest.mark.parametrize('k', [1, 2, 5])
def test_meanfield_normalised_any_k(k):
    g = torch.Generator().manual_seed(k)
    image = torch.rand(2, 3, 17, 23, generator=g)
    probs = torch.rand(2, k, 17, 23, generator=g)
    probs /= probs.sum(1, keepdim=True)
    for kwargs in (dict(), dict(scale_factor=0.5), dict(radius=2, dilation=2, normalise=False)):
        q = dense_crf_meanfield(image, probs, 4, **kwargs)
        assert q.shape == probs.shape and torch.isfinite(q).all() and (q >= 0).all()
        torch.testing.assert_close(q.sum(1), torch.ones(2, 17, 23))


def test_meanfield_logits_and_compat_matrix():
    """Potts equals the matrix 1 - I; logits give the same result as their softmax; no
    iteration returns the input."""
    g = torch.Generator().manual_seed(0)
    image = (torch.rand(1, 3, 12, 14, generator=g) * 255).to(torch.uint8)
    logits = torch.randn(1, 3, 12, 14, generator=g, dtype=torch.float64)
    probs = logits.softmax(1)
    q_potts = dense_crf_meanfield(image, probs, 3)
    torch.testing.assert_close(dense_crf_meanfield(image, probs, 3, compat=1 - torch.eye(3)), q_potts)
    torch.testing.assert_close(dense_crf_meanfield(image, logits, 3, from_logits=True), q_potts)
    torch.testing.assert_close(dense_crf_meanfield(image, probs, 0), probs)
    assert (q_potts - probs).abs().max() > 1e-3


def test_meanfield_extreme_inputs_no_nan():
    image = torch.zeros(1, 3, 8, 8, dtype=torch.uint8)
    probs = torch.zeros(1, 3, 8, 8)
    probs[:, 0] = 1.0                                        # exact zeros in the unary
    q = dense_crf_meanfield(image, probs, 5, w_bilateral=1e3)
    assert torch.isfinite(q).all() and (q.argmax(1) == 0).all()


def test_meanfield_bad_inputs():
    with pytest.raises(ValueError, match='float image must be in'):
        dense_crf_meanfield(torch.full((1, 3, 4, 4), 200.0), torch.full((1, 2, 4, 4), 0.5))
    with pytest.raises(ValueError, match='same B, H, W'):
        dense_crf_meanfield(torch.rand(1, 3, 4, 4), torch.full((1, 2, 5, 4), 0.5))
    with pytest.raises(ValueError, match='from_logits'):
        dense_crf_meanfield(torch.rand(1, 3, 4, 4), torch.randn(1, 2, 4, 4) - 5)


def test_refine_bad_inputs():
    image, gt, _ = _two_regions(h=6, w=6)
    with pytest.raises(ValueError, match='uint8'):
        refine_mask(image.astype(np.float32), gt, 2)
    with pytest.raises(ValueError, match='differs from image'):
        refine_mask(image, gt[:5], 2)
    bad = gt.copy()
    bad[0, 0] = 7
    with pytest.raises(ValueError, match=r'labels \[7\]'):
        refine_mask(image, bad, 2)
    with pytest.raises(ValueError, match='confidence'):
        refine_mask(image, gt, 2, confidence=0.4)


def _voc(shared_data, stem):
    from wsseg.utils.io import read_image, read_mask
    root = shared_data / 'voc_mini' / 'VOCdevkit' / 'VOC2012'
    image = read_image(root / 'JPEGImages' / f'{stem}.jpg')
    gt = read_mask(root / 'SegmentationClass' / f'{stem}.png')
    # compact labels 0..K-1 (the CRF only sees the classes present), void stays 255
    present = [c for c in np.unique(gt) if c != 255]
    lut = np.full(256, 255, np.uint8)
    lut[present] = np.arange(len(present))
    return image, lut[gt], len(present)


@pytest.mark.parametrize('stem', ['2007_000063', '2007_000129'])
def test_refine_real_voc_image(shared_data, one_thread, stem):
    """Official VOC masks: 10% of labels flipped are repaired, and boundaries shifted by 6 px
    move back towards the object edges."""
    image, gt, k = _voc(shared_data, stem)
    ok = gt != 255
    rng = np.random.default_rng(0)
    noisy = gt.copy()
    flip = (rng.random(gt.shape) < 0.1) & ok
    noisy[flip] = (noisy[flip] + rng.integers(1, k, flip.sum())) % k
    refined = refine_mask(image, noisy, k)
    assert (refined == gt)[ok].mean() > max(0.99, (noisy == gt)[ok].mean() + 0.05)
    shifted = np.roll(gt, 6, axis=1)
    before = (shifted == gt)[ok].mean()
    assert (refine_mask(image, shifted, k) == gt)[ok].mean() > before + 0.015
