"""The tags path's refinements on real MSRC-21 images, and the affinity random walk on a tiny
grid whose answer is known."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from scipy.ndimage import binary_erosion, gaussian_filter

from wsseg.refine.affinity import (AffinityHead, neighbour_offsets, pair_affinities, pair_indices,
                                   pair_labels, propagate_scores, random_walk, train_affinity,
                                   transition_matrix)
from wsseg.refine.crf import refine_mask_within
from wsseg.refine.superpixels import pool_scores, refine_superpixels


def _msrc(shared_data, stem: str = '4_28_s', split: str = 'train'):
    root = shared_data / 'msrc21'
    img = np.asarray(Image.open(root / 'images' / split / f'{stem}.png').convert('RGB'))
    gt = np.asarray(Image.open(root / 'masks' / split / f'{stem}.png'))
    return img, gt


def _tags(gt):
    return np.array(sorted(set(np.unique(gt).tolist()) - {255}))


def _accuracy(mask, gt):
    keep = (gt != 255) & (mask != 255)
    return float((mask[keep] == gt[keep]).mean()), float(keep.sum() / (gt != 255).sum())


def _noisy_scores(gt, tags, seed=0, noise=0.6, blur=4.0):
    """Coarse, noisy class scores: blurred one-hot truth plus per-pixel noise (a bad CAM)."""
    rng = np.random.default_rng(seed)
    fill = np.where(gt == 255, tags[0], gt)
    return np.stack([np.clip(gaussian_filter((fill == t).astype(np.float32), blur)
                             + noise * rng.standard_normal(gt.shape), 0, None) for t in tags]).astype(np.float32)


def test_superpixel_pooling_snaps_noisy_scores_to_the_image(shared_data):
    img, gt = _msrc(shared_data)
    tags = _tags(gt)
    assert len(tags) >= 2
    scores = _noisy_scores(gt, tags)
    raw = tags[scores.argmax(0)].astype(np.uint8)
    mask, top = refine_superpixels(img, scores, tags, params=dict(n_segments=300))
    assert set(np.unique(mask).tolist()) <= set(tags.tolist())
    before, after = _accuracy(raw, gt)[0], _accuracy(mask, gt)[0]
    assert after > before + 0.10, (before, after)       # the noise is averaged away per superpixel
    thr, _ = refine_superpixels(img, scores, tags, threshold=float(np.quantile(top, 0.5)),
                                params=dict(n_segments=300))
    assert 0.3 < (thr != 255).mean() < 0.7
    assert _accuracy(thr, gt)[0] >= after - 0.02         # keeping the confident half stays as good


def test_pool_scores_is_the_mean_per_segment():
    seg = np.array([[0, 0, 1], [2, 2, 1]])
    s = np.array([[[1., 3., 5.], [2., 4., 7.]]])
    assert np.allclose(pool_scores(seg, s)[0], [[2, 2, 6], [3, 3, 6]])
    with pytest.raises(ValueError, match='same H, W'):
        pool_scores(seg, s[:, :1])


def test_crf_fills_seeds_within_the_tags(shared_data):
    img, gt = _msrc(shared_data, '2_30_s')
    tags = _tags(gt)
    seeds = np.full(gt.shape, 255, np.uint8)
    for t in tags:                                        # confident cores of each region only
        core = binary_erosion(gt == t, iterations=8)
        seeds[core] = t
    filled = refine_mask_within(img, seeds, tags, confidence=0.7, n_iters=5, threshold=None)
    acc, decided = _accuracy(filled, gt)
    assert _accuracy(seeds, gt)[1] < 0.8 and decided > 0.99
    assert acc > 0.85, acc
    assert set(np.unique(filled).tolist()) <= set(tags.tolist())


# ---------------------------------------------------------------------------- affinity
def test_pairs_and_labels_on_a_known_grid():
    offs = neighbour_offsets(1)
    assert sorted(offs) == [(0, 1), (1, 0)]
    assert len(neighbour_offsets(2)) == 6                  # half of the 12 pixels within radius 2
    src, dst = pair_indices(1, 3, [(0, 1)])
    assert src.tolist() == [0, 1] and dst.tolist() == [1, 2]
    pos, neg = pair_labels(np.array([[0, 0, 1, 255]], np.uint8), [(0, 1)])
    assert pos.tolist() == [True, False, False] and neg.tolist() == [False, True, False]
    emb = torch.tensor([[[0., 0., 2.]]])
    assert torch.allclose(pair_affinities(emb, [(0, 1)]), torch.tensor([1.0, float(np.exp(-2))]))


def test_random_walk_stays_inside_its_region():
    # 2 x 4 grid, a wall between columns 1 and 2: affinity 1 inside each half, 0 across.
    h, w = 2, 4
    offs = neighbour_offsets(1)
    src, dst = pair_indices(h, w, offs)
    same_side = (src % w < 2) == (dst % w < 2)
    aff = torch.tensor(same_side, dtype=torch.float32)
    trans = transition_matrix(aff, h, w, offs, beta=1.0)
    dense = trans.to_dense()
    assert torch.allclose(dense.sum(1), torch.ones(h * w, dtype=dense.dtype))     # row-stochastic
    scores = torch.zeros(2, h * w)
    scores[0, 0] = 1.0              # class 0 seen at the top-left pixel
    scores[1, 7] = 1.0              # class 1 at the bottom-right pixel
    walked = random_walk(trans, scores, n_iters=200)
    left, right = np.arange(h * w) % w < 2, np.arange(h * w) % w >= 2
    assert (walked[1, left] == 0).all() and (walked[0, right] == 0).all()          # no crossing
    assert (walked.argmax(0)[left] == 0).all() and (walked.argmax(0)[right] == 1).all()
    # each half is a 2x2 block where every node has degree 3 (2 neighbours + itself): the walk
    # converges to the block's mean of the start scores, 1/4
    assert torch.allclose(walked[0, left], torch.full((4,), 0.25), atol=1e-6)
    assert torch.allclose(walked[1, right], torch.full((4,), 0.25), atol=1e-6)


def test_affinity_head_learns_from_seeds_on_a_real_image(shared_data):
    from wsseg.models.cam_classifier import CamClassifier
    torch.manual_seed(0)
    img, gt = _msrc(shared_data, '2_30_s')
    img, gt = img[::2, ::2].copy(), gt[::2, ::2].copy()   # half size: a fast test
    tags = _tags(gt)
    seeds = gt.copy()
    seeds[np.random.default_rng(0).random(gt.shape) < 0.3] = 255
    cam = CamClassifier(num_classes=21)
    x = (torch.from_numpy(img).permute(2, 0, 1).float() - 120.0) / 60.0
    head = AffinityHead(cam.trunk, dim=16)
    trunk_before = [p.clone() for p in cam.trunk.parameters()]
    losses = train_affinity(head, [(x, seeds)] * 12, radius=3, lr=3e-3, epochs=1, progress=False)
    assert np.mean(losses[-3:]) < 0.8 * np.mean(losses[:3]), losses
    assert all(torch.equal(a, b) for a, b in zip(trunk_before, cam.trunk.parameters()))   # frozen
    scores = _noisy_scores(gt, tags, noise=0.0, blur=6.0)
    walked = propagate_scores(head, x, scores, radius=3, beta=4.0, n_iters=16)
    assert walked.shape == scores.shape and walked.min() >= 0 and np.allclose(walked.max((1, 2)), 1, atol=1e-4)
    acc_walk = _accuracy(tags[walked.argmax(0)].astype(np.uint8), gt)[0]
    assert acc_walk > 0.6, acc_walk
