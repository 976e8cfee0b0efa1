"""Dense CRF loss (Tang et al., "On Regularized Losses for Weakly-supervised CNN Segmentation",
ECCV 2018), in pure PyTorch.

The loss is the exact pairwise form

    L = 1/N * sum_p sum_{q != p} w_pq ||s_p - s_q||^2,
    w_pq = exp(-|I_p - I_q|^2 / (2 sigma_rgb^2) - |p - q|^2 / (2 sigma_xy^2)),

with ``s = softmax(logits)``, ``I`` on the 0..255 RGB scale and ``N`` the number of valid
pixels. (rloss implements the relaxation ``-sum_k s_k^T W s_k`` instead; the two differ by
``2 sum_k s_k^T D s_k``, ``D = diag(W 1)``, which rloss drops.) Pairs are limited to a
``(2r+1)^2`` window (``radius``) or, with ``radius=None``, all pairs of the grid.

The helpers here (window offsets, pair weights, ``W x``) are shared with
``wsseg/losses/ncut.py`` and the mean-field CRF in ``wsseg/refine/crf.py``.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from wsseg.losses.base import SegBatch
from wsseg.registry import MODELS

Index = tuple  # (Ellipsis, slice, slice)


def check_positive(owner: str, **params: float) -> None:
    """ValueError naming the first parameter that is not a finite number > 0."""
    for name, value in params.items():
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise ValueError(f'{owner}: {name} must be a number > 0, got {value!r}')


def check_radius(owner: str, radius: int | None, allow_none: bool = True) -> None:
    if radius is None and allow_none:
        return
    if not isinstance(radius, int) or isinstance(radius, bool) or radius < 1:
        raise ValueError(f'{owner}: radius must be an int >= 1'
                         f'{" or None (all pairs)" if allow_none else ""}, got {radius!r}')


def rgb255(images: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """(B, C, H, W) uint8, or float in [0, 1] -> float on the 0..255 scale."""
    if images.dtype == torch.uint8:
        return images.to(dtype)
    return images.to(dtype) * 255.0


def float_dtype(t: torch.Tensor) -> torch.dtype:
    """float64 stays float64; everything else (half, bfloat16, float32) computes in float32."""
    return torch.float64 if t.dtype == torch.float64 else torch.float32


def half_window(radius: int, dilation: int = 1) -> list[tuple[int, int]]:
    """Offsets ``(dy, dx)`` of a square ``(2r+1)^2`` window, one per unordered pair of pixels
    (``dy > 0``, or ``dy == 0`` and ``dx > 0``), scaled by ``dilation``."""
    return [(dy * dilation, dx * dilation) for dy in range(0, radius + 1)
            for dx in range(-radius, radius + 1) if dy > 0 or dx > 0]


def shift_slices(dy: int, dx: int, h: int, w: int) -> tuple[Index, Index] | None:
    """Index tuples ``(a, b)`` such that ``x[a]`` and ``x[b]`` are pixels ``p`` and
    ``q = p + (dy, dx)`` of every pair inside an ``h x w`` grid; None if there is none."""
    if abs(dy) >= h or abs(dx) >= w:
        return None
    a = (..., slice(max(0, -dy), h - max(0, dy)), slice(max(0, -dx), w - max(0, dx)))
    b = (..., slice(max(0, dy), h - max(0, -dy)), slice(max(0, dx), w - max(0, -dx)))
    return a, b


def pair_weight(img: torch.Tensor, valid: torch.Tensor | None, a: Index, b: Index,
                dist2: float, sigma_rgb: float, sigma_xy: float) -> torch.Tensor:
    """Bilateral weights (B, 1, h', w') of the pairs ``(a, b)`` at squared distance ``dist2``;
    0 where either pixel is invalid."""
    diff2 = (img[a] - img[b]).pow_(2).sum(1, keepdim=True)
    w = diff2.mul_(-0.5 / sigma_rgb ** 2).add_(-0.5 * dist2 / sigma_xy ** 2).exp_()
    if valid is not None:
        w = w * valid[a] * valid[b]
    return w


def prepare_grid(logits: torch.Tensor, images: torch.Tensor, valid: torch.Tensor | None,
                 scale_factor: float = 1.0):
    """Softmax of ``logits`` and the image on the grid the pairwise terms run on.

    The grid is the image size times ``scale_factor``. Probabilities are resized with area
    averaging when shrinking (a convex mix: they stay on the simplex) and bilinearly when
    growing; the image with area averaging; ``valid`` (B, H, W) keeps grid pixels more than
    half valid. Returns ``(probs, img255, valid (B,1,h,w) or None, xy_scale, area)``:
    ``xy_scale`` converts image pixels to grid pixels, ``area`` is the image pixels per grid pixel.
    """
    if logits.dim() != 4 or images.dim() != 4 or logits.shape[0] != images.shape[0]:
        raise ValueError(f'expected logits (B, K, h, w) and images (B, C, H, W) with the same B, '
                         f'got {tuple(logits.shape)} and {tuple(images.shape)}')
    dtype = float_dtype(logits)
    big_h, big_w = images.shape[-2:]
    if scale_factor == 1.0:
        h, w = big_h, big_w
    else:
        h, w = max(1, round(big_h * scale_factor)), max(1, round(big_w * scale_factor))
    probs = logits.to(dtype).softmax(1)
    probs = _resize(probs, (h, w))
    img = _resize(rgb255(images, dtype), (h, w))
    v = None
    if valid is not None:
        if valid.shape != (images.shape[0], big_h, big_w):
            raise ValueError(f'valid mask must be (B, H, W) = {(images.shape[0], big_h, big_w)}, '
                             f'got {tuple(valid.shape)}')
        v = valid.to(device=probs.device, dtype=dtype)[:, None]
        if (h, w) != (big_h, big_w):
            v = (F.interpolate(v, (h, w), mode='area') > 0.5).to(dtype)
    xy_scale = math.sqrt(h * w / (big_h * big_w))
    return probs, img, v, xy_scale, big_h * big_w / (h * w)


def _resize(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    if size[0] <= x.shape[-2] and size[1] <= x.shape[-1]:
        return F.interpolate(x, size, mode='area')
    return F.interpolate(x, size, mode='bilinear', align_corners=False)


@torch.no_grad()
def local_crf_energy(s: torch.Tensor, img: torch.Tensor, valid: torch.Tensor | None,
                     sigma_rgb: float, sigma_xy: float, radius: int,
                     dilation: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """``e = sum over unordered window pairs w_pq ||s_p - s_q||^2`` (per image, shape (B,)) and
    its gradient ``de/ds = 2 sum_q w_pq (s_p - s_q)``, by shifting the grid once per offset:
    O(B K H W r^2) time, O(B K H W) memory, no loop over pixels."""
    h, w = s.shape[-2:]
    energy = s.new_zeros(s.shape[0])
    grad = torch.zeros_like(s)
    for dy, dx in half_window(radius, dilation):
        ab = shift_slices(dy, dx, h, w)
        if ab is None:
            continue
        a, b = ab
        wpq = pair_weight(img, valid, a, b, dy * dy + dx * dx, sigma_rgb, sigma_xy)
        diff = s[a] - s[b]
        wdiff = diff * wpq
        energy += (wdiff * diff).sum((1, 2, 3))
        grad[a] += wdiff
        grad[b] -= wdiff
    return energy, grad.mul_(2.0)


@torch.no_grad()
def dense_affinity(x: torch.Tensor, img: torch.Tensor, valid: torch.Tensor | None,
                   sigma_rgb: float, sigma_xy: float,
                   chunk: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """``(W x, d = W 1)`` over all pairs ``q != p`` of the grid, W built in row chunks of the
    ``N x N`` bilateral matrix: O(N^2) time, O(chunk N) memory. For small grids or GPUs."""
    bsz, k, h, w = x.shape
    n = h * w
    ys, xs = torch.meshgrid(torch.arange(h, device=x.device, dtype=x.dtype),
                            torch.arange(w, device=x.device, dtype=x.dtype), indexing='ij')
    pos = torch.stack([ys, xs]).reshape(2, n).T / sigma_xy
    wx, deg = torch.empty_like(x).reshape(bsz, k, n), x.new_empty(bsz, 1, n)
    for i in range(bsz):
        f = torch.cat([pos, img[i].reshape(-1, n).T / sigma_rgb], 1)           # (N, 2 + C)
        sq = f.pow(2).sum(1)
        xi = x[i].reshape(k, n)
        vi = None if valid is None else valid[i].reshape(n)
        for r0 in range(0, n, chunk):
            r1 = min(n, r0 + chunk)
            d2 = (sq[r0:r1, None] + sq[None] - 2.0 * f[r0:r1] @ f.T).clamp_min_(0)
            wr = d2.mul_(-0.5).exp_()
            wr[torch.arange(r1 - r0, device=x.device), torch.arange(r0, r1, device=x.device)] = 0
            if vi is not None:
                wr *= vi[None] * vi[r0:r1, None]
            wx[i, :, r0:r1] = (wr @ xi.T).T
            deg[i, 0, r0:r1] = wr.sum(1)
    return wx.reshape(x.shape), deg.reshape(bsz, 1, h, w)


@torch.no_grad()
def local_affinity(x: torch.Tensor, img: torch.Tensor, valid: torch.Tensor | None,
                   sigma_rgb: float, sigma_xy: float, radius: int,
                   dilation: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """``(W x, d = W 1)`` with W restricted to the ``(2r+1)^2`` window (``q != p``)."""
    h, w = x.shape[-2:]
    wx = torch.zeros_like(x)
    deg = x.new_zeros(x.shape[0], 1, h, w)
    for dy, dx in half_window(radius, dilation):
        ab = shift_slices(dy, dx, h, w)
        if ab is None:
            continue
        a, b = ab
        wpq = pair_weight(img, valid, a, b, dy * dy + dx * dx, sigma_rgb, sigma_xy)
        wx[a] += wpq * x[b]
        wx[b] += wpq * x[a]
        deg[a] += wpq
        deg[b] += wpq
    return wx, deg


class _WithGradient(torch.autograd.Function):
    """Returns ``value`` and back-propagates ``grad`` (computed together, without autograd)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, value: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(grad)
        return value.clone()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_out: torch.Tensor):
        (grad,) = ctx.saved_tensors
        return grad * grad_out, None, None


def with_gradient(x: torch.Tensor, value: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
    """A scalar equal to ``value`` whose gradient w.r.t. ``x`` is ``grad``."""
    return _WithGradient.apply(x, value, grad)


def batch_valid(batch: SegBatch, valid: torch.Tensor | None) -> torch.Tensor | None:
    """The explicit ``valid`` argument, else a ``valid`` attribute of the batch, else None."""
    return valid if valid is not None else getattr(batch, 'valid', None)


@MODELS.register_module()
class DenseCRFLoss(nn.Module):
    """Dense CRF loss ``1/N sum_p sum_q w_pq ||s_p - s_q||^2`` (exact pairwise form).

    Args:
        weight: multiplier of the loss (0.003-0.03 worked with partial CE on 3% scribbles,
            1.0 collapses the segmentation; see docs/methods/dense_losses.md).
        sigma_rgb: colour bandwidth, 0..255 scale (rloss: 15).
        sigma_xy: spatial bandwidth in pixels of the input image (rloss: 80); on a grid
            shrunk by ``scale_factor`` it becomes ``sigma_xy * scale_factor``, as in rloss.
        mode: ``'local'`` - pairs within ``radius`` on the image grid;
            ``'downsample'`` - on the image shrunk by ``scale_factor`` (rloss: 0.5).
        scale_factor: grid size / image size in ``'downsample'`` mode, in (0, 1].
        radius: window radius in grid pixels; None = every pair of the grid (O(N^2), only for
            small grids or GPUs). With ``sigma_xy = 80`` the spatial kernel is nearly flat inside
            a small window, so ``radius`` then sets the spatial reach.
        dilation: spacing of the window's samples (reach ``radius * dilation`` at equal cost).

    ``N`` is the number of valid grid pixels; each grid pixel's pair sum is multiplied by the
    image pixels it stands for (``1 / scale_factor^2``), so both modes estimate the same
    full-resolution quantity and a weight tuned in one mode carries over. The loss and its
    gradient are computed in one no-grad pass (shift-based, O(B K h w r^2)) and handed to
    autograd at the probabilities, so the cost is about one forward pass over the window.
    """

    def __init__(self, weight: float = 0.01, sigma_rgb: float = 15.0, sigma_xy: float = 80.0,
                 mode: str = 'downsample', scale_factor: float = 0.5, radius: int | None = 5,
                 dilation: int = 1, loss_name: str = 'loss_crf'):
        super().__init__()
        check_positive(type(self).__name__, sigma_rgb=sigma_rgb, sigma_xy=sigma_xy)
        check_radius(type(self).__name__, radius)
        if mode not in ('local', 'downsample'):
            raise ValueError(f"DenseCRFLoss: mode must be 'local' or 'downsample', got {mode!r}")
        if not (0 < scale_factor <= 1):
            raise ValueError(f'DenseCRFLoss: scale_factor must be in (0, 1], got {scale_factor!r}')
        if not isinstance(dilation, int) or dilation < 1:
            raise ValueError(f'DenseCRFLoss: dilation must be an int >= 1, got {dilation!r}')
        self.weight, self.sigma_rgb, self.sigma_xy = weight, float(sigma_rgb), float(sigma_xy)
        self.mode, self.radius, self.dilation = mode, radius, dilation
        self.scale_factor = float(scale_factor) if mode == 'downsample' else 1.0
        self.loss_name = loss_name

    def forward(self, logits: torch.Tensor, batch: SegBatch,
                valid: torch.Tensor | None = None) -> torch.Tensor:
        """``valid`` (B, H, W) bool at image size (e.g. not padding); default: all pixels, or
        ``batch.valid`` if the batch carries one."""
        probs, img, v, xy_scale, area = prepare_grid(logits, batch.images, batch_valid(batch, valid),
                                                     self.scale_factor)
        n = v.sum() if v is not None else probs.new_tensor(probs[:, 0].numel())
        if n == 0:
            return logits.sum() * 0.0
        sigma_xy = self.sigma_xy * xy_scale
        s = probs.detach()
        with torch.no_grad():
            if self.radius is None:
                ws, deg = dense_affinity(s, img, v, self.sigma_rgb, sigma_xy)
                # sum over unordered pairs = sum_p d_p |s_p|^2 - s^T W s
                energy = (deg * s.pow(2)).sum() - (s * ws).sum()
                grad = 2.0 * (deg * s - ws)
            else:
                energy, grad = local_crf_energy(s, img, v, self.sigma_rgb, sigma_xy,
                                                self.radius, self.dilation)
                energy = energy.sum()
            scale = 2.0 * area * self.weight / n            # ordered pairs = 2 x unordered
        return with_gradient(probs, scale * energy, scale * grad)
