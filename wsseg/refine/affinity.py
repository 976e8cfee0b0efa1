"""Pixel affinity learned from confident CAM seeds, and a random walk that spreads CAMs with it
(AffinityNet, Ahn & Kwak, CVPR 2018; IRN, Ahn et al., CVPR 2019; facts only, no code taken).

1. On a grid (stride 4 of the image), every pixel is paired with the pixels within ``radius``.
   A pair whose two pixels are both confident seeds is a training label: 1 when they share a
   class, 0 when they do not; a pair touching an undecided (255) pixel is left out.
2. :class:`AffinityHead` embeds each grid pixel from the frozen CAM classifier's trunk
   (all four levels, upsampled to stride 4); the affinity of a pair is ``exp(-mean |e_i - e_j|)``
   in (0, 1]. Loss: BCE averaged separately over positive and negative pairs (the classes of
   pairs are very unbalanced).
3. Random walk: ``A = a^beta`` on the pairs (both directions, plus self-loops), row-normalised
   into ``T = D^-1 A``; scores (the CAMs of the image's tags) are spread by ``s <- T s``,
   ``n_iters`` times. Where affinity across an edge is ~0, no score crosses it.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from wsseg.structures import IGNORE


def neighbour_offsets(radius: int) -> list[tuple[int, int]]:
    """Offsets ``(dy, dx)`` to the pixels within Euclidean ``radius``, one of each +/- pair
    (``dy > 0``, or ``dy == 0 and dx > 0``): each unordered pair of pixels once."""
    if radius < 1:
        raise ValueError(f'neighbour_offsets: radius must be >= 1, got {radius}')
    return [(dy, dx) for dy in range(0, radius + 1) for dx in range(-radius, radius + 1)
            if (dy > 0 or dx > 0) and dy * dy + dx * dx <= radius * radius]


def _slices(n: int, d: int) -> tuple[slice, slice]:
    """Source and destination slices of length ``n - |d|`` along one axis for offset ``d``."""
    return (slice(0, n - d), slice(d, n)) if d >= 0 else (slice(-d, n), slice(0, n + d))


def pair_indices(h: int, w: int, offsets: Sequence[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Flat indices ``(src, dst)`` of every in-image pair on an (h, w) grid, offset by offset."""
    idx = np.arange(h * w).reshape(h, w)
    src, dst = [], []
    for dy, dx in offsets:
        (ys, yd), (xs, xd) = _slices(h, dy), _slices(w, dx)
        src.append(idx[ys, xs].reshape(-1))
        dst.append(idx[yd, xd].reshape(-1))
    return np.concatenate(src), np.concatenate(dst)


def pair_labels(seeds: np.ndarray | torch.Tensor, offsets: Sequence[tuple[int, int]]
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """Positive and negative pair masks (bool, concatenated over offsets in :func:`pair_indices`
    order) from an (h, w) seed map with 255 = undecided."""
    s = torch.as_tensor(np.asarray(seeds), dtype=torch.long).reshape(-1)
    h, w = np.asarray(seeds).shape
    src, dst = (torch.from_numpy(a) for a in pair_indices(h, w, offsets))
    a, b = s[src], s[dst]
    both = (a != IGNORE) & (b != IGNORE)
    return both & (a == b), both & (a != b)


def pair_affinities(emb: torch.Tensor, offsets: Sequence[tuple[int, int]]) -> torch.Tensor:
    """``exp(-mean_c |e_i - e_j|)`` of an embedding (C, h, w) for every pair, in
    :func:`pair_indices` order: a 1-D tensor in (0, 1]."""
    if emb.dim() != 3:
        raise ValueError(f'pair_affinities: need an embedding (C, h, w), got {tuple(emb.shape)}')
    _, h, w = emb.shape
    out = []
    for dy, dx in offsets:
        (ys, yd), (xs, xd) = _slices(h, dy), _slices(w, dx)
        out.append(torch.exp(-(emb[:, ys, xs] - emb[:, yd, xd]).abs().mean(0)).reshape(-1))
    return torch.cat(out)


def affinity_loss(aff: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Balanced BCE: ``-mean log a`` over positive pairs plus ``-mean log(1 - a)`` over negative
    ones, each averaged on its own (an empty set adds 0)."""
    loss = aff.new_zeros(())
    if pos.any():
        loss = loss - torch.log(aff[pos] + eps).mean()
    if neg.any():
        loss = loss - torch.log(1 - aff[neg] + eps).mean()
    return loss


def transition_matrix(aff: torch.Tensor, h: int, w: int, offsets: Sequence[tuple[int, int]],
                      beta: float = 8.0) -> torch.Tensor:
    """Sparse row-stochastic ``T = D^-1 A`` (N x N, N = h * w) with ``A = aff^beta`` on every pair
    (both directions) and 1 on the diagonal."""
    src, dst = (torch.from_numpy(a) for a in pair_indices(h, w, offsets))
    n = h * w
    a = aff.detach().double().clamp_min(0) ** beta
    rows = torch.cat([src, dst, torch.arange(n)])
    cols = torch.cat([dst, src, torch.arange(n)])
    vals = torch.cat([a, a, torch.ones(n, dtype=a.dtype)])
    deg = torch.zeros(n, dtype=a.dtype).index_add_(0, rows, vals)
    return torch.sparse_coo_tensor(torch.stack([rows, cols]), vals / deg[rows], (n, n),
                                   check_invariants=False).coalesce()


def random_walk(trans: torch.Tensor, scores: torch.Tensor, n_iters: int = 64) -> torch.Tensor:
    """Spread scores (C, N) along a row-stochastic sparse ``trans`` (N, N): ``s <- T s`` per class,
    ``n_iters`` times. Returns (C, N) float32."""
    if n_iters < 0:
        raise ValueError(f'random_walk: n_iters must be >= 0, got {n_iters}')
    s = scores.detach().double().t()                # (N, C)
    for _ in range(n_iters):
        s = torch.sparse.mm(trans, s)
    return s.t().float()


class AffinityHead(nn.Module):
    """Pixel embedding at stride 4 from the four levels of a frozen CAM classifier trunk.

    ``trunk`` is :attr:`CamClassifier.trunk` (conv1, bn1, relu, maxpool, layer1..layer4); its
    weights are not trained here. Each level goes through its own 1x1 conv (32 channels),
    is upsampled to the stride-4 grid, and a 1x1 conv fuses them into ``dim`` channels.
    """

    LEVELS = (4, 5, 6, 7)      # layer1..layer4 in CamClassifier.trunk
    IN_CHANNELS = (64, 128, 256, 512)

    def __init__(self, trunk: nn.Sequential, dim: int = 32):
        super().__init__()
        self.trunk = trunk
        for p in self.trunk.parameters():
            p.requires_grad_(False)
        self.reduce = nn.ModuleList(nn.Sequential(nn.Conv2d(c, 32, 1, bias=False), nn.GroupNorm(4, 32),
                                                  nn.ReLU(inplace=True)) for c in self.IN_CHANNELS)
        self.fuse = nn.Conv2d(32 * len(self.IN_CHANNELS), dim, 1)

    @torch.no_grad()
    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        self.trunk.eval()
        feats = []
        for i, layer in enumerate(self.trunk):
            x = layer(x)
            if i in self.LEVELS:
                feats.append(x)
        return feats

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) normalised images -> (B, dim, ceil(H/4), ceil(W/4)) embeddings."""
        feats = self.features(x)
        size = feats[0].shape[-2:]
        ups = [F.interpolate(r(f), size, mode='bilinear', align_corners=False)
               for r, f in zip(self.reduce, feats)]
        return self.fuse(torch.cat(ups, 1))


def downsample_seeds(seeds: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour (h, w) copy of an (H, W) seed map (255 = undecided)."""
    t = torch.from_numpy(np.asarray(seeds, np.uint8))[None, None].float()
    return F.interpolate(t, size, mode='nearest')[0, 0].to(torch.uint8).numpy()


def train_affinity(head: AffinityHead, samples: Iterable[tuple[torch.Tensor, np.ndarray]],
                   radius: int = 5, lr: float = 1e-3, epochs: int = 3, progress: bool = True,
                   seed: int = 0) -> list[float]:
    """Fit ``head`` on ``(image (3, H, W) normalised, seeds (H, W) uint8)`` pairs, one image a step
    (Adam), in a new random order each epoch (``seed``): a dataset listed by category would
    otherwise feed one kind of image for many steps. Returns the loss of every step."""
    from mmengine.utils import ProgressBar
    offsets = neighbour_offsets(radius)
    params = [p for p in head.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=lr)
    losses = []
    samples = list(samples) if not isinstance(samples, list) else samples
    bar = ProgressBar(epochs * len(samples)) if progress else None
    head.train()
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        for j in rng.permutation(len(samples)):
            img, seeds = samples[j]
            emb = head(img[None])[0]
            pos, neg = pair_labels(downsample_seeds(seeds, emb.shape[-2:]), offsets)
            loss = affinity_loss(pair_affinities(emb, offsets), pos, neg)
            if loss.requires_grad:
                opt.zero_grad()
                loss.backward()
                opt.step()
            losses.append(float(loss.detach()))
            if bar:
                bar.update()
    head.eval()
    return losses


@torch.no_grad()
def propagate_scores(head: AffinityHead, img: torch.Tensor, scores: np.ndarray, radius: int = 5,
                     beta: float = 8.0, n_iters: int = 64) -> np.ndarray:
    """Random walk of (T, H, W) scores over the learned affinity of one image (3, H, W);
    returns (T, H, W) float32 scores, each map divided by its maximum."""
    offsets = neighbour_offsets(radius)
    emb = head(img[None])[0]
    h, w = emb.shape[-2:]
    s = torch.as_tensor(np.asarray(scores, np.float32))
    small = F.adaptive_avg_pool2d(s[None], (h, w))[0].reshape(s.shape[0], -1)
    walked = random_walk(transition_matrix(pair_affinities(emb, offsets), h, w, offsets, beta), small, n_iters)
    up = F.interpolate(walked.reshape(1, -1, h, w), s.shape[-2:], mode='bilinear', align_corners=False)[0]
    up = up.clamp_min(0)
    return (up / up.amax((-2, -1), keepdim=True).clamp_min(1e-5)).numpy()
