"""DenseCRFLoss and NormalizedCutLoss against brute-force O(N^2) references over all pixel pairs."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from wsseg.losses.base import SegBatch
from wsseg.losses.crf_loss import DenseCRFLoss
from wsseg.losses.ncut import NormalizedCutLoss
from wsseg.registry import MODELS

DEVICES = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])


def _affinity(images: torch.Tensor, b: int, sigma_rgb: float, sigma_xy: float,
              valid: torch.Tensor | None) -> torch.Tensor:
    """The full N x N bilateral matrix of image b, zero diagonal and zero on invalid pixels."""
    _, c, h, w = images.shape
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing='ij')
    pos = torch.stack([ys.flatten(), xs.flatten()], 1).to(images)
    rgb = images[b].reshape(c, -1).T * 255
    wm = torch.exp(-torch.cdist(rgb, rgb) ** 2 / (2 * sigma_rgb ** 2)
                   - torch.cdist(pos, pos) ** 2 / (2 * sigma_xy ** 2))
    wm = wm * (1 - torch.eye(h * w, dtype=images.dtype, device=images.device))
    if valid is not None:
        v = valid[b].flatten().to(images)
        wm = wm * v[:, None] * v[None]
    return wm


def _offset_mask(h: int, w: int, keep) -> torch.Tensor:
    """N x N bool: keep(dy, dx) for every pair of pixels of an h x w grid."""
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing='ij')
    dy = ys.flatten()[None] - ys.flatten()[:, None]
    dx = xs.flatten()[None] - xs.flatten()[:, None]
    return keep(dy, dx)


def brute_crf(logits, images, sigma_rgb, sigma_xy, valid=None, pair_mask=None):
    """1/N sum over all ordered pairs p != q of w_pq ||s_p - s_q||^2, straight from the definition
    (only pairs where ``pair_mask`` holds, if given)."""
    s = logits.softmax(1)
    k = s.shape[1]
    total = 0.0
    for b in range(s.shape[0]):
        sp = s[b].reshape(k, -1).T
        wm = _affinity(images, b, sigma_rgb, sigma_xy, valid)
        if pair_mask is not None:
            wm = wm * pair_mask.to(wm)
        total = total + (wm * ((sp[:, None] - sp[None]) ** 2).sum(-1)).sum()
    n = valid.sum() if valid is not None else s[:, 0].numel()
    return total / n


def brute_ncut(logits, images, sigma_rgb, sigma_xy, eps=1e-6):
    s = logits.softmax(1)
    k = s.shape[1]
    total = 0.0
    for b in range(s.shape[0]):
        sp = s[b].reshape(k, -1).T                          # (N, K)
        wm = _affinity(images, b, sigma_rgb, sigma_xy, None)
        d = wm.sum(1)
        for c in range(k):
            total = total + sp[:, c] @ wm @ (1 - sp[:, c]) / (d @ sp[:, c] + eps)
    return total / s.shape[0]


def _tiny(b=2, k=3, h=6, w=5, seed=0, device='cpu'):
    g = torch.Generator().manual_seed(seed)
    images = torch.rand(b, 3, h, w, generator=g, dtype=torch.float64)
    logits = (2 * torch.randn(b, k, h, w, generator=g, dtype=torch.float64))
    return images.to(device), logits.to(device).requires_grad_(True)


def _batch(images):
    b, _, h, w = images.shape
    return SegBatch(images=images, target=torch.full((b, h, w), 255, device=images.device))


def _value_and_grad(fn, logits):
    value = fn(logits)
    (grad,) = torch.autograd.grad(value, logits)
    return value.detach(), grad


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('cfg', [dict(mode='local', radius=5),
                                 dict(mode='downsample', scale_factor=1.0, radius=None)])
def test_crf_matches_brute_force(cfg, device):
    """Windows covering the whole 6x5 image (or all pairs): value and gradient are exact."""
    images, logits = _tiny(device=device)
    loss = DenseCRFLoss(weight=1.0, sigma_rgb=40.0, sigma_xy=3.0, **cfg)
    v, g = _value_and_grad(lambda x: loss(x, _batch(images)), logits)
    v_ref, g_ref = _value_and_grad(lambda x: brute_crf(x, images, 40.0, 3.0), logits)
    assert v_ref > 0.1
    torch.testing.assert_close(v, v_ref, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(g, g_ref, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize('radius, dilation', [(1, 1), (2, 1), (2, 2)])
def test_crf_window_is_masked_brute_force(radius, dilation):
    """A smaller window sums exactly the pairs with |dy|, |dx| <= r on the dilated lattice."""
    images, logits = _tiny()
    keep = _offset_mask(6, 5, lambda dy, dx: (dy.abs() <= radius * dilation) & (dx.abs() <= radius * dilation)
                        & (dy % dilation == 0) & (dx % dilation == 0))
    loss = DenseCRFLoss(weight=1.0, mode='local', radius=radius, dilation=dilation, sigma_rgb=40.0, sigma_xy=3.0)
    v, g = _value_and_grad(lambda x: loss(x, _batch(images)), logits)
    v_ref, g_ref = _value_and_grad(lambda x: brute_crf(x, images, 40.0, 3.0, pair_mask=keep), logits)
    assert v_ref < brute_crf(logits, images, 40.0, 3.0)
    torch.testing.assert_close(v, v_ref, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(g, g_ref, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize('cfg', [dict(mode='local', radius=6),
                                 dict(mode='downsample', scale_factor=1.0, radius=None)])
def test_crf_valid_mask(cfg):
    """Invalid pixels (e.g. padding) drop out of every pair and of the normalisation."""
    images, logits = _tiny()
    valid = torch.ones(2, 6, 5, dtype=torch.bool)
    valid[0, 4:] = False
    valid[1, :, 3:] = False
    loss = DenseCRFLoss(weight=1.0, sigma_rgb=30.0, sigma_xy=2.0, **cfg)
    v, g = _value_and_grad(lambda x: loss(x, _batch(images), valid=valid), logits)
    v_ref, g_ref = _value_and_grad(lambda x: brute_crf(x, images, 30.0, 2.0, valid), logits)
    torch.testing.assert_close(v, v_ref, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(g, g_ref, rtol=1e-8, atol=1e-12)
    assert g[0, :, 4:].abs().max() == 0 and g[1, :, :, 3:].abs().max() == 0
    # a batch attribute works the same way as the argument
    batch = _batch(images)
    batch.valid = valid
    torch.testing.assert_close(loss(logits, batch).detach(), v)


def _regions(noise: float = 0.0, seed: int = 0):
    """32x40 image of three flat colour regions and smooth random logits (float64)."""
    g = torch.Generator().manual_seed(seed)
    b, k, h, w = 2, 3, 32, 40
    lab = torch.zeros(b, h, w, dtype=torch.long)
    lab[:, :, 14:] = 1
    lab[:, 18:, 26:] = 2
    cols = torch.tensor([[0.8, 0.2, 0.2], [0.2, 0.7, 0.3], [0.2, 0.3, 0.9]], dtype=torch.float64)
    images = (cols[lab].permute(0, 3, 1, 2)
              + noise * torch.randn(b, 3, h, w, generator=g, dtype=torch.float64)).clamp(0, 1)
    logits = 3 * F.interpolate(torch.randn(b, k, 4, 5, generator=g, dtype=torch.float64), (h, w),
                               mode='bilinear', align_corners=False)
    return images, logits


@pytest.mark.parametrize('sigma_xy', [2.0, 3.0])
def test_local_and_downsample_approximate_exact(sigma_xy, one_thread):
    """Documented tolerances on flat colour regions: a radius-3-sigma window within 2% of the
    all-pairs value, the half-resolution grid (all pairs or a 1.5-sigma window) within 10%."""
    images, logits = _regions()
    batch = _batch(images)
    exact = brute_crf(logits, images, 15.0, sigma_xy).item()
    local = DenseCRFLoss(weight=1.0, mode='local', radius=int(3 * sigma_xy), sigma_xy=sigma_xy)(logits, batch)
    dense_half = DenseCRFLoss(weight=1.0, mode='downsample', scale_factor=0.5, radius=None,
                              sigma_xy=sigma_xy)(logits, batch)
    local_half = DenseCRFLoss(weight=1.0, mode='downsample', scale_factor=0.5, radius=int(1.5 * sigma_xy),
                              sigma_xy=sigma_xy)(logits, batch)
    assert abs(local.item() / exact - 1) < 0.02
    assert abs(dense_half.item() / exact - 1) < 0.10
    assert abs(local_half.item() / exact - 1) < 0.10


def test_logits_smaller_than_image_and_low_precision():
    """Logits at 1/2 resolution are upsampled to the image grid; bfloat16 logits compute in float32."""
    images, logits = _regions()
    small = F.interpolate(logits.detach(), scale_factor=0.5, mode='bilinear').to(torch.bfloat16)
    small.requires_grad_(True)
    value = DenseCRFLoss(mode='local', radius=2)(small, _batch(images.float()))
    value.backward()
    assert value.dtype == torch.float32 and torch.isfinite(value) and value > 0
    assert small.grad.dtype == torch.bfloat16 and torch.isfinite(small.grad.float()).all()


def test_crf_rewards_image_aligned_segmentation():
    """A segmentation following the colour edges costs less than one cutting across a region."""
    images, _ = _regions()
    h, w = images.shape[-2:]
    aligned = torch.zeros(2, 2, h, w, dtype=torch.float64)
    aligned[:, 0, :, :14] = 20                               # edge at the colour edge x = 14
    aligned[:, 1, :, 14:] = 20
    shifted = torch.zeros_like(aligned)
    shifted[:, 0, :, :8] = 20                                # edge inside the first region
    shifted[:, 1, :, 8:] = 20
    loss = DenseCRFLoss(mode='local', radius=3, sigma_xy=80.0)
    assert loss(aligned, _batch(images)) < 0.2 * loss(shifted, _batch(images))


@pytest.mark.parametrize('name, cls', [('sigma_rgb', DenseCRFLoss), ('sigma_xy', DenseCRFLoss),
                                       ('sigma_rgb', NormalizedCutLoss), ('sigma_xy', NormalizedCutLoss)])
@pytest.mark.parametrize('bad', [0.0, -1.0, float('nan')])
def test_nonpositive_sigma_raises(name, cls, bad):
    with pytest.raises(ValueError, match=name):
        cls(**{name: bad})


@pytest.mark.parametrize('kwargs, word', [(dict(mode='global'), 'mode'), (dict(radius=0), 'radius'),
                                          (dict(radius=2.5), 'radius'), (dict(scale_factor=0.0), 'scale_factor'),
                                          (dict(scale_factor=2.0), 'scale_factor'), (dict(dilation=0), 'dilation')])
def test_bad_config_raises(kwargs, word):
    with pytest.raises(ValueError, match=word):
        DenseCRFLoss(**kwargs)


@pytest.mark.parametrize('cfg', [dict(type='DenseCRFLoss'), dict(type='DenseCRFLoss', mode='local', radius=2),
                                 dict(type='NormalizedCutLoss'), dict(type='NormalizedCutLoss', radius=None)])
def test_no_scribbles_finite_loss_and_gradient(cfg):
    """Nothing labelled (target all 255) and constant images: still a finite loss and gradient."""
    logits = torch.randn(2, 4, 16, 20, requires_grad=True)
    batch = SegBatch(images=torch.zeros(2, 3, 16, 20), target=torch.full((2, 16, 20), 255),
                     img_paths=['a.png', 'b.png'])
    loss = MODELS.build(cfg)
    value = loss(logits, batch)
    value.backward()
    assert torch.isfinite(value) and value > 0
    assert torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0


def test_all_invalid_gives_zero():
    logits = torch.randn(1, 3, 8, 8, requires_grad=True)
    batch = _batch(torch.rand(1, 3, 8, 8))
    for loss in (DenseCRFLoss(), NormalizedCutLoss()):
        value = loss(logits, batch, valid=torch.zeros(1, 8, 8, dtype=torch.bool))
        value.backward()
        assert value.item() == 0.0 and torch.isfinite(logits.grad).all()


def test_weight_scales_loss():
    images, logits = _tiny()
    one = DenseCRFLoss(weight=1.0, mode='local', radius=2)(logits, _batch(images))
    three = DenseCRFLoss(mode='local', radius=2, weight=3.0)(logits, _batch(images))
    torch.testing.assert_close(three, 3 * one)


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('cfg', [dict(mode='local', radius=6), dict(mode='downsample', scale_factor=1.0, radius=None)])
def test_ncut_matches_brute_force(cfg, device):
    images, logits = _tiny(device=device)
    loss = NormalizedCutLoss(sigma_rgb=40.0, sigma_xy=3.0, **cfg)
    v, g = _value_and_grad(lambda x: loss(x, _batch(images)), logits)
    v_ref, g_ref = _value_and_grad(lambda x: brute_ncut(x, images, 40.0, 3.0), logits)
    assert 0 < v_ref < 3
    torch.testing.assert_close(v, v_ref, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(g, g_ref, rtol=1e-8, atol=1e-12)


def test_ncut_prefers_cut_along_colour_edge():
    images, _ = _regions()
    h, w = images.shape[-2:]
    aligned = torch.zeros(2, 2, h, w, dtype=torch.float64)
    aligned[:, 0, :, :14] = 20
    aligned[:, 1, :, 14:] = 20
    shifted = torch.zeros_like(aligned)
    shifted[:, 0, :, :8] = 20
    shifted[:, 1, :, 8:] = 20
    loss = NormalizedCutLoss(mode='local', radius=3)
    assert loss(aligned, _batch(images)) < 0.2 * loss(shifted, _batch(images))


def test_real_image_ground_truth_is_cheaper(shared_data, one_thread):
    """On a VOC image with its official mask, the true segmentation costs far less than the same
    mask shifted by 6 px, in both modes (void pixels masked out)."""
    import numpy as np
    from wsseg.utils.io import read_image, read_mask
    root = shared_data / 'voc_mini' / 'VOCdevkit' / 'VOC2012'
    image = torch.from_numpy(read_image(root / 'JPEGImages' / '2007_000129.jpg').copy())
    gt = read_mask(root / 'SegmentationClass' / '2007_000129.png')
    valid = torch.from_numpy(gt != 255)[None]
    _, compact = np.unique(gt, return_inverse=True)          # classes 0..K-1 (void last, masked)
    gt = torch.from_numpy(compact.reshape(gt.shape).astype(np.int64))
    batch = _batch(image.permute(2, 0, 1)[None].float() / 255)

    def one_hot(mask):
        return 10.0 * F.one_hot(mask, int(gt.max()) + 1).permute(2, 0, 1)[None].float()

    for loss in (DenseCRFLoss(), DenseCRFLoss(mode='local', radius=3)):
        true = loss(one_hot(gt), batch, valid=valid)
        shifted = loss(one_hot(torch.roll(gt, 6, dims=1)), batch, valid=valid)
        assert true < 0.25 * shifted


def test_bad_inputs_raise():
    loss = DenseCRFLoss()
    with pytest.raises(ValueError, match='same B'):
        loss(torch.randn(2, 3, 8, 8), _batch(torch.rand(1, 3, 8, 8)))
    with pytest.raises(ValueError, match='valid mask'):
        loss(torch.randn(1, 3, 8, 8), _batch(torch.rand(1, 3, 8, 8)), valid=torch.ones(1, 4, 4, dtype=torch.bool))
