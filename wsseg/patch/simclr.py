"""SimCLR (Chen et al. 2020) on a domain's own unlabelled images, for the ResNet-18 trunk.

Augmentations are torchvision transforms v2 (random resized crop, flip, colour jitter,
grayscale, Gaussian blur): torchvision is already a core dependency and v2 works on uint8
tensors in batch; kornia is not installed in this environment, and a second augmentation
library would add a dependency for the same five operations. NT-Xent is written out below
(a few lines) so its temperature and masking are explicit and testable.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torchvision.transforms import v2
from tqdm import tqdm

from .backbone import ResNet18Trunk
from .grid import split_patches


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.5) -> torch.Tensor:
    """NT-Xent: mean over the 2N views of -log softmax similarity of each view's positive.

    ``z1[i]`` and ``z2[i]`` are two views of one image; similarities are cosine / temperature,
    a view's similarity to itself is left out of its softmax.
    """
    if z1.shape != z2.shape or z1.dim() != 2:
        raise ValueError(f'nt_xent: need two (N, D) batches of one shape, got {tuple(z1.shape)} and {tuple(z2.shape)}')
    if temperature <= 0:
        raise ValueError(f'nt_xent: temperature must be > 0, got {temperature}')
    n = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = z @ z.t() / temperature
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), float('-inf'))
    pos = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(sim, pos)


def simclr_augment(size: int, strength: float = 1.0, blur_kernel: int | None = None) -> v2.Compose:
    """The SimCLR view generator on uint8 (C, H, W) tensors, returning float in [0, 1]."""
    k = blur_kernel or max(3, (size // 10) | 1)
    s = strength
    return v2.Compose([
        v2.RandomResizedCrop(size, scale=(0.2, 1.0), antialias=True),
        v2.RandomHorizontalFlip(),
        v2.RandomApply([v2.ColorJitter(0.8 * s, 0.8 * s, 0.8 * s, 0.2 * s)], p=0.8),
        v2.RandomGrayscale(p=0.2),
        v2.RandomApply([v2.GaussianBlur(k, sigma=(0.1, 2.0))], p=0.5),
        v2.ToDtype(torch.float32, scale=True),
    ])


class SimCLRNet(nn.Module):
    """Trunk + global average pool + 2-layer projection head (512-512-``proj_dim``)."""

    def __init__(self, proj_dim: int = 128):
        super().__init__()
        self.trunk = ResNet18Trunk()
        self.projector = nn.Sequential(nn.Linear(512, 512), nn.ReLU(inplace=True), nn.Linear(512, proj_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.projector(self.trunk(x).mean((2, 3)))


def load_views(paths: Sequence[str | Path], grid: tuple[int, int] | None = None) -> list[torch.Tensor]:
    """uint8 (3, H, W) tensors of images, or of their grid patches when ``grid`` is given."""
    from wsseg.utils.io import read_image
    out = []
    for p in paths:
        img = read_image(p)
        parts = split_patches(img, grid) if grid else [img]
        out += [torch.from_numpy(np.array(a, copy=True)).permute(2, 0, 1) for a in parts]
    if not out:
        raise ValueError('SimCLR: no image to train on')
    return out


def pretrain_simclr(images: Sequence[torch.Tensor], epochs: int = 10, batch_size: int = 32,
                    size: int = 64, lr: float = 1e-3, temperature: float = 0.5, seed: int = 0,
                    mean: Sequence[float] = (0.485, 0.456, 0.406), std: Sequence[float] = (0.229, 0.224, 0.225),
                    device: str = 'cpu') -> tuple[SimCLRNet, dict]:
    """Train SimCLR with Adam; returns the net and stats (losses per epoch, seconds)."""
    if len(images) < 2:
        raise ValueError(f'SimCLR: need at least 2 images, got {len(images)}')
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    aug = simclr_augment(size)
    norm = v2.Normalize(mean, std)
    net = SimCLRNet().to(device)
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=1e-6)
    bs = min(batch_size, len(images))
    losses, t0 = [], time.time()
    bar = tqdm(range(epochs), desc='SimCLR', disable=None)
    for _ in bar:
        order = torch.randperm(len(images), generator=gen).tolist()
        total, steps = 0.0, 0
        for i in range(0, len(order) - bs + 1, bs):
            batch = [images[j] for j in order[i:i + bs]]
            v1 = torch.stack([norm(aug(x)) for x in batch]).to(device)
            v2_ = torch.stack([norm(aug(x)) for x in batch]).to(device)
            loss = nt_xent(net(v1), net(v2_), temperature)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total, steps = total + loss.item(), steps + 1
        losses.append(total / max(steps, 1))
        bar.set_postfix(loss=f'{losses[-1]:.3f}')
    return net, dict(losses=losses, seconds=time.time() - t0, n_images=len(images), epochs=epochs)


def save_simclr_checkpoint(net: SimCLRNet, path: str | Path, meta: dict | None = None) -> Path:
    """Write ``{'state_dict': trunk weights, 'meta': {...}}``: what ``PatchClassifier`` loads."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    plain = {k: v for k, v in (meta or {}).items() if isinstance(v, (int, float, str, list, bool))}
    torch.save({'state_dict': net.trunk.state_dict(), 'meta': plain}, path)
    return path
