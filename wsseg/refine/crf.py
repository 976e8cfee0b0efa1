"""Fully connected CRF post-processing by mean-field inference (Krahenbuhl & Koltun, NIPS 2011),
in pure PyTorch (CPU or GPU), with a windowed approximation of the dense kernels.

Energy ``E(x) = sum_p U_p(x_p) + sum_{p<q} mu(x_p, x_q) k(p, q)`` with
``k = w_bilateral exp(-|p-q|^2/(2 sigma_xy^2) - |I_p-I_q|^2/(2 sigma_rgb^2))
   + w_gauss exp(-|p-q|^2/(2 sigma_gauss^2))``.
Each iteration ``Q <- softmax(-U - mu (k * Q))``. Approximation: ``k * Q`` sums over the
``(2r+1)^2`` window around each pixel (``radius``, samples spaced by ``dilation``) instead of the
whole image (the permutohedral lattice of the original); each kernel is normalised
symmetrically, ``k_pq / sqrt(d_p d_q)`` with ``d = k 1`` (pydensecrf's default), so the message
is a weighted average of neighbours' beliefs whatever the window size. ``scale_factor < 1``
runs everything on a shrunk grid and upsamples the probabilities (cheaper, coarser edges).
"""
from __future__ import annotations

import inspect

import numpy as np
import torch
import torch.nn.functional as F

from wsseg.losses.crf_loss import (check_positive, check_radius, half_window, pair_weight,
                                   rgb255, shift_slices)


def check_crf_kwargs(kwargs: dict, where: str, extra: tuple[str, ...] = ()) -> dict:
    """Raise a ValueError naming ``where`` for keyword arguments that
    :func:`dense_crf_meanfield` (plus ``extra`` names) does not take, or for sigmas <= 0."""
    params = set(inspect.signature(dense_crf_meanfield).parameters) - {'image', 'scores'}
    unknown = set(kwargs) - params - set(extra)
    if unknown:
        raise ValueError(f'{where}: unknown CRF options {sorted(unknown)}; known: {sorted(params | set(extra))}')
    sig = {k: kwargs[k] for k in ('sigma_rgb', 'sigma_xy', 'sigma_gauss') if k in kwargs}
    check_positive(where, **sig)
    return kwargs


def _kernel_weights(img: torch.Tensor, radius: int, dilation: int, sigma_rgb: float,
                    sigma_xy: float, w_bilateral: float, sigma_gauss: float, w_gauss: float,
                    normalise: bool) -> list[tuple[tuple, tuple, torch.Tensor]]:
    """Per window offset: index tuples ``(a, b)`` and the combined pair weight (B, 1, h', w')."""
    bsz, _, h, w = img.shape
    pairs = []
    for dy, dx in half_window(radius, dilation):
        ab = shift_slices(dy, dx, h, w)
        if ab is not None:
            d2 = dy * dy + dx * dx
            kb = pair_weight(img, None, *ab, d2, sigma_rgb, sigma_xy)
            kg = torch.full_like(kb, float(np.exp(-0.5 * d2 / sigma_gauss ** 2)))
            pairs.append((*ab, kb, kg))
    if not normalise:
        return [(a, b, w_bilateral * kb + w_gauss * kg) for a, b, kb, kg in pairs]
    deg_b, deg_g = img.new_zeros(bsz, 1, h, w), img.new_zeros(bsz, 1, h, w)
    for a, b, kb, kg in pairs:
        deg_b[a] += kb
        deg_b[b] += kb
        deg_g[a] += kg
        deg_g[b] += kg
    rb, rg = deg_b.clamp_min(1e-20).rsqrt(), deg_g.clamp_min(1e-20).rsqrt()
    return [(a, b, w_bilateral * kb * rb[a] * rb[b] + w_gauss * kg * rg[a] * rg[b])
            for a, b, kb, kg in pairs]


@torch.no_grad()
def dense_crf_meanfield(image: torch.Tensor, scores: torch.Tensor, n_iters: int = 5, *,
                        from_logits: bool = False, sigma_rgb: float = 13.0, sigma_xy: float = 80.0,
                        w_bilateral: float = 10.0, sigma_gauss: float = 3.0, w_gauss: float = 3.0,
                        compat: str | torch.Tensor = 'potts', radius: int = 5, dilation: int = 1,
                        scale_factor: float = 1.0, normalise: bool = True) -> torch.Tensor:
    """Mean-field CRF inference; returns probabilities (B, K, H, W) that sum to 1 over K.

    Args:
        image: (B, 3, H, W) uint8, or float in [0, 1].
        scores: (B, K, H, W) probabilities (unary ``-log p``), or logits with ``from_logits``.
        sigma_rgb, sigma_xy, w_bilateral: appearance kernel (0..255 colour scale, image pixels).
        sigma_gauss, w_gauss: smoothness kernel (image pixels); ``w = 0`` switches a kernel off.
        compat: ``'potts'`` or a (K, K) label compatibility matrix ``mu``.
        radius, dilation, scale_factor, normalise: the approximation (see the module doc).
    """
    check_positive('dense_crf_meanfield', sigma_rgb=sigma_rgb, sigma_xy=sigma_xy,
                   sigma_gauss=sigma_gauss)
    check_radius('dense_crf_meanfield', radius, allow_none=False)
    if image.dim() != 4 or scores.dim() != 4 or image.shape[0] != scores.shape[0] \
            or image.shape[-2:] != scores.shape[-2:]:
        raise ValueError(f'dense_crf_meanfield: need image (B, C, H, W) and scores (B, K, H, W) of '
                         f'the same B, H, W, got {tuple(image.shape)} and {tuple(scores.shape)}')
    if image.is_floating_point() and (image.min() < 0 or image.max() > 1):
        raise ValueError('dense_crf_meanfield: a float image must be in [0, 1] (or pass uint8)')
    if not (0 < scale_factor <= 1):
        raise ValueError(f'dense_crf_meanfield: scale_factor must be in (0, 1], got {scale_factor!r}')
    if n_iters < 0:
        raise ValueError(f'dense_crf_meanfield: n_iters must be >= 0, got {n_iters}')
    dtype = torch.float64 if scores.dtype == torch.float64 else torch.float32
    k = scores.shape[1]
    if from_logits:
        neg_unary = scores.to(dtype).log_softmax(1)
    else:
        if scores.min() < 0:
            raise ValueError('dense_crf_meanfield: probabilities must be >= 0 '
                             '(pass from_logits=True for logits)')
        p = scores.to(dtype)
        neg_unary = (p / p.sum(1, keepdim=True).clamp_min(1e-12)).clamp_min(1e-8).log()
    if isinstance(compat, str):
        if compat != 'potts':
            raise ValueError(f"dense_crf_meanfield: compat must be 'potts' or a (K, K) tensor, "
                             f'got {compat!r}')
        mu = None
    else:
        mu = torch.as_tensor(compat, dtype=dtype, device=scores.device)
        if mu.shape != (k, k):
            raise ValueError(f'dense_crf_meanfield: compat must be ({k}, {k}), got {tuple(mu.shape)}')
    img = rgb255(image, dtype).to(scores.device)
    full = tuple(img.shape[-2:])
    if scale_factor < 1:
        small = (max(1, round(full[0] * scale_factor)), max(1, round(full[1] * scale_factor)))
        img = F.interpolate(img, small, mode='area')
        neg_unary = F.interpolate(neg_unary, small, mode='area')
    pairs = _kernel_weights(img, radius, dilation, sigma_rgb, sigma_xy * scale_factor, w_bilateral,
                            sigma_gauss * scale_factor, w_gauss, normalise)
    q = neg_unary.softmax(1)
    for _ in range(n_iters):
        msg = torch.zeros_like(q)
        for a, b, wpq in pairs:
            msg[a] += wpq * q[b]
            msg[b] += wpq * q[a]
        # Potts: mu = 1 - I, so -mu msg = msg - sum(msg), and the constant drops in the softmax
        pairwise = msg if mu is None else -torch.einsum('lm,bmhw->blhw', mu, msg)
        q = (neg_unary + pairwise).softmax(1)
    if q.shape[-2:] != full:
        q = F.interpolate(q, full, mode='bilinear', align_corners=False)
    return q


def refine_mask(image: np.ndarray, mask: np.ndarray, num_classes: int, confidence: float = 0.8,
                n_iters: int = 5, threshold: float | None = None, keep_labelled: bool = False,
                device: str | torch.device = 'cpu', **crf_kwargs) -> np.ndarray:
    """Refine a pseudo-mask with the mean-field CRF.

    Unary: a labelled pixel gets ``confidence`` on its label and the rest spread evenly; a 255
    pixel is uniform. After ``n_iters`` mean-field steps each pixel takes the argmax; with
    ``threshold``, pixels whose final top probability is below it become 255; with
    ``keep_labelled``, labelled input pixels keep their label (e.g. scribbles).

    Args:
        image: (H, W, 3) uint8 RGB.
        mask: (H, W) uint8, labels < ``num_classes`` or 255.
        crf_kwargs: passed to :func:`dense_crf_meanfield` (sigmas, weights, radius, ...).
    Returns:
        (H, W) uint8 mask.
    """
    image, mask = np.asarray(image), np.asarray(mask)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f'refine_mask: image must be (H, W, 3) uint8, got {image.shape} {image.dtype}')
    if mask.shape != image.shape[:2]:
        raise ValueError(f'refine_mask: mask shape {mask.shape} differs from image {image.shape[:2]}')
    if not isinstance(num_classes, (int, np.integer)) or not 1 <= num_classes <= 255:
        raise ValueError(f'refine_mask: num_classes must be in 1..255, got {num_classes!r}')
    labels = np.unique(mask)
    bad = labels[(labels >= num_classes) & (labels != 255)]
    if bad.size:
        raise ValueError(f'refine_mask: mask holds labels {bad.tolist()} >= num_classes={num_classes} '
                         f'(only 255 may mark unknown pixels)')
    if num_classes > 1 and not (1.0 / num_classes < confidence < 1.0):
        raise ValueError(f'refine_mask: confidence must be in (1/K, 1) = ({1 / num_classes:.3g}, 1), '
                         f'got {confidence!r}')
    m = torch.from_numpy(mask.astype(np.int64)).to(device)
    known = m != 255
    probs = torch.full((num_classes, *mask.shape), 1.0 / num_classes, device=device)
    if num_classes > 1:
        other = (1.0 - confidence) / (num_classes - 1)
        onehot = F.one_hot(m.clamp_max(num_classes - 1), num_classes).permute(2, 0, 1).float()
        probs = torch.where(known[None], onehot * (confidence - other) + other, probs)
    img = torch.tensor(image).permute(2, 0, 1)[None].to(device)
    q = dense_crf_meanfield(img, probs[None], n_iters, **crf_kwargs)[0]
    top, out = q.max(0)
    if keep_labelled:
        out = torch.where(known, m, out)
    if threshold is not None:
        out = torch.where((top < threshold) & ~(known & keep_labelled), torch.full_like(out, 255), out)
    return out.to(torch.uint8).cpu().numpy()



def refine_mask_within(image: np.ndarray, mask: np.ndarray, labels: np.ndarray,
                       **refine_kwargs) -> np.ndarray:
    """:func:`refine_mask` restricted to ``labels`` (class indices): the CRF only chooses among
    them (e.g. an image's tags plus background), so no other class can appear."""
    labels = np.unique(np.asarray(labels, np.int64))
    if labels.size == 0:
        return np.full(mask.shape, 255, np.uint8)
    lut = np.full(256, 255, np.uint8)
    lut[labels] = np.arange(labels.size)
    outside = (mask != 255) & (lut[mask] == 255)
    if outside.any():
        raise ValueError(f'refine_mask_within: mask holds labels {np.unique(mask[outside]).tolist()} '
                         f'outside the allowed {labels.tolist()}')
    out = refine_mask(image, lut[mask], int(labels.size), **refine_kwargs)
    back = np.full(256, 255, np.uint8)
    back[:labels.size] = labels
    return back[out]
