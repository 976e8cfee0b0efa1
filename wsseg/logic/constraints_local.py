"""Local (pairwise) constraints: neighbourhood support / consensus and superpixel borders.

They need no annotation: every pixel of an image's frame (see
:mod:`wsseg.logic.constraints`) is grounded. Neighbours outside the frame are left out of
the quantifiers; a pixel with no neighbour at all is not grounded. The value per image is the
mean log-truth over its groundings (pixels, or pixel pairs for :class:`SuperpixelBorder`),
where each grounding's formula is universally quantified over the classes (a sum over K).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from wsseg.logic.constraints import Constraint, frame
from wsseg.logic.registry import CONSTRAINTS
from wsseg.logic.superpixels import SUPERPIXEL_CACHE, SuperpixelCache, check_method, superpixel_labels
from wsseg.logic.tnorm import lnot

OFFSETS = {
    4: ((-1, 0), (1, 0), (0, -1), (0, 1)),
    8: ((-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1)),
}
# One direction per unordered pair of adjacent pixels.
PAIR_OFFSETS = {4: ((0, 1), (1, 0)), 8: ((0, 1), (1, 0), (1, 1), (1, -1))}


def check_connectivity(connectivity: int) -> int:
    if connectivity not in (4, 8):
        raise ValueError(f'connectivity must be 4 or 8, got {connectivity!r}')
    return int(connectivity)


def shift(t: Tensor, dy: int, dx: int, fill) -> Tensor:
    """``out[..., y, x] = t[..., y + dy, x + dx]``, ``fill`` where that falls off the map."""
    h, w = t.shape[-2:]
    out = torch.full_like(t, fill)
    if abs(dy) >= h or abs(dx) >= w:
        return out
    out[..., max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)] = \
        t[..., max(0, dy):h - max(0, -dy), max(0, dx):w - max(0, -dx)]
    return out


def neighbour_sum(t: Tensor, valid: Tensor, connectivity: int) -> tuple[Tensor, Tensor]:
    """Sum of ``t`` over each pixel's in-frame neighbours, and how many there are.

    ``valid`` (B, 1, H, W) marks the frame. Neighbours are read as views of one zero-padded
    copy, so autograd keeps no per-offset tensor.
    """
    h, w = t.shape[-2:]
    tp = F.pad(torch.where(valid, t, torch.zeros((), dtype=t.dtype, device=t.device)), (1, 1, 1, 1))
    vp = F.pad(valid.to(torch.int32), (1, 1, 1, 1))
    total, count = torch.zeros_like(t), torch.zeros_like(valid, dtype=torch.int32)
    for dy, dx in OFFSETS[connectivity]:
        total = total + tp[..., 1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
        count = count + vp[..., 1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
    return total, count


def frame_mask(logp: Tensor, weak: list) -> Tensor:
    """(B, 1, H, W) bool: True inside each image's weak-label frame."""
    b, _, h, w = logp.shape
    mask = torch.zeros(b, 1, h, w, dtype=torch.bool, device=logp.device)
    for i, wk in enumerate(weak):
        fh, fw = frame(wk, h, w)
        mask[i, :, :fh, :fw] = True
    return mask


def masked_mean(f: Tensor, ground: Tensor) -> Tensor:
    """Per-image mean of ``f`` over ``ground`` (both (B, 1, H, W)); 0 with no grounding."""
    total = torch.where(ground, f, torch.zeros((), dtype=f.dtype, device=f.device)).flatten(1).sum(1)
    return total / ground.flatten(1).sum(1).clamp_min(1).to(f.dtype)


@CONSTRAINTS.register_module()
class NeighbourSupport(Constraint):
    """A pixel of class C has a neighbour of class C.

    ``forall p, C: is(p, C) -> exists q in N(p): is(q, C)``, computed as
    ``not(is(p, C) and forall q: not is(q, C))``. ``connectivity`` is 4 or 8.
    """

    def __init__(self, connectivity: int = 8, background_index: int | None = 0):
        super().__init__(background_index)
        self.connectivity = check_connectivity(connectivity)

    def forward(self, logp, weak, images):
        valid = frame_mask(logp, weak)
        # is(p, C) -> exists q: is(q, C)  ==  not(is(p, C) and forall q: not is(q, C))
        none_has, count = neighbour_sum(lnot(logp), valid, self.connectivity)
        f = lnot(logp + none_has).sum(1, keepdim=True)
        return masked_mean(f, valid & (count > 0))


@CONSTRAINTS.register_module()
class NeighbourConsensus(Constraint):
    """A pixel whose neighbours all have class C has class C.

    ``forall p, C: (forall q in N(p): is(q, C)) -> is(p, C)``. ``connectivity`` is 4 or 8.
    """

    def __init__(self, connectivity: int = 8, background_index: int | None = 0):
        super().__init__(background_index)
        self.connectivity = check_connectivity(connectivity)

    def forward(self, logp, weak, images):
        valid = frame_mask(logp, weak)
        all_have, count = neighbour_sum(logp, valid, self.connectivity)   # forall q: is(q, C)
        f = lnot(all_have + lnot(logp)).sum(1, keepdim=True)              # not(all_have and not is(p, C))
        return masked_mean(f, valid & (count > 0))


@CONSTRAINTS.register_module()
class SuperpixelBorder(Constraint):
    """Adjacent pixels of different classes lie in different superpixels.

    Contrapositive, as computed: ``forall adjacent p, q in the same superpixel, forall C:
    is(p, C) <-> is(q, C)``. Groundings: the adjacent pairs (``connectivity`` 4 or 8) inside one
    superpixel. Superpixels come from the weak labels when the pipeline computed them for the
    whole image (``ComputeSuperpixels``, then cropped with it), else from the batch images
    (scikit-image ``method`` 'slic' or 'felzenszwalb' with ``params``, see
    :mod:`wsseg.logic.superpixels`), cached per image.
    """

    needs_images = True

    def __init__(self, method: str = 'slic', params: dict | None = None, connectivity: int = 4,
                 background_index: int | None = 0, cache: SuperpixelCache | None = None):
        super().__init__(background_index)
        self.method = method
        self.params = check_method(method, params)
        self.connectivity = check_connectivity(connectivity)
        self.cache = SUPERPIXEL_CACHE if cache is None else cache

    def superpixel_maps(self, images: Tensor, weak: list) -> Tensor:
        """(B, H, W) long superpixel ids, -1 outside each image's frame. An image whose weak
        labels carry ``superpixels`` (the ``ComputeSuperpixels`` pipeline step) uses them;
        the others are segmented here with this constraint's ``method`` / ``params``."""
        b, _, h, w = images.shape
        sp = torch.full((b, h, w), -1, dtype=torch.long)
        for i, wk in enumerate(weak):
            fh, fw = frame(wk, h, w)
            if wk is not None and wk.superpixels is not None:
                labels = wk.superpixels
            else:
                labels = superpixel_labels(images[i, :, :fh, :fw], self.method, self.params, self.cache)
            sp[i, :fh, :fw] = torch.as_tensor(np.array(labels, np.int64))
        return sp.to(images.device)

    def forward(self, logp, weak, images):
        sp = self.superpixel_maps(images, weak)
        total = logp.new_zeros(logp.shape[0])
        count = torch.zeros(logp.shape[0], dtype=torch.int64, device=logp.device)
        h, w = logp.shape[-2:]
        # liff(p, q) = lnot(p + lnot q) + lnot(q + lnot p): negate the map once for all offsets
        neg = lnot(logp)
        padded, neg_padded = F.pad(logp, (1, 1, 1, 1)), F.pad(neg, (1, 1, 1, 1))
        for dy, dx in PAIR_OFFSETS[self.connectivity]:
            ground = (sp >= 0) & (shift(sp, dy, dx, -1) == sp)
            q = padded[..., 1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
            nq = neg_padded[..., 1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
            f = (lnot(logp + nq) + lnot(q + neg)).sum(1)
            total = total + torch.where(ground, f, 0.0).flatten(1).sum(1)
            count = count + ground.flatten(1).sum(1)
        return total / count.clamp_min(1).to(logp.dtype)

    def __repr__(self) -> str:
        return f'{self.name}(method={self.method!r}, params={self.params}, connectivity={self.connectivity})'
