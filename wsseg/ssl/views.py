"""Two augmented views of one image, with the crop box and flip of each (for dense matching).

All randomness comes from a numpy ``Generator`` the caller seeds, so a view pair is a pure
function of (seed, sample index): a resumed run draws exactly the views it would have drawn.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torchvision.transforms.v2 import functional as TF


def crop_box(h: int, w: int, rng: np.random.Generator, scale: tuple[float, float] = (0.2, 1.0),
             ratio: tuple[float, float] = (3 / 4, 4 / 3)) -> tuple[int, int, int, int]:
    """A random resized crop's (top, left, height, width), as torchvision draws it."""
    area = h * w
    for _ in range(10):
        target = area * rng.uniform(*scale)
        aspect = math.exp(rng.uniform(math.log(ratio[0]), math.log(ratio[1])))
        cw, ch = int(round(math.sqrt(target * aspect))), int(round(math.sqrt(target / aspect)))
        if 0 < cw <= w and 0 < ch <= h:
            return int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1)), ch, cw
    side = min(h, w)
    return (h - side) // 2, (w - side) // 2, side, side


class TwoViews:
    """SimCLR's augmentations (resized crop, flip, colour jitter, grayscale, blur) twice.

    ``__call__(image, rng)`` takes an (H, W, 3) uint8 array and returns ``views`` (2, 3, S, S)
    uint8, ``boxes`` (2, 4) float ``x0, y0, x1, y1`` in image pixels and ``flips`` (2,) bool.
    """

    def __init__(self, size: int = 112, scale: tuple[float, float] = (0.2, 1.0),
                 jitter: float = 0.8, p_jitter: float = 0.8, p_gray: float = 0.2, p_blur: float = 0.5):
        self.size, self.scale = int(size), tuple(scale)
        self.jitter, self.p_jitter, self.p_gray, self.p_blur = jitter, p_jitter, p_gray, p_blur

    def one(self, img: torch.Tensor, rng: np.random.Generator) -> tuple[torch.Tensor, list[float], bool]:
        h, w = img.shape[-2:]
        top, left, ch, cw = crop_box(h, w, rng, self.scale)
        v = TF.resized_crop(img, top, left, ch, cw, [self.size, self.size], antialias=True)
        flip = bool(rng.random() < 0.5)
        if flip:
            v = TF.horizontal_flip(v)
        if rng.random() < self.p_jitter:
            s = self.jitter
            v = TF.adjust_brightness(v, rng.uniform(max(0, 1 - s), 1 + s))
            v = TF.adjust_contrast(v, rng.uniform(max(0, 1 - s), 1 + s))
            v = TF.adjust_saturation(v, rng.uniform(max(0, 1 - s), 1 + s))
            v = TF.adjust_hue(v, rng.uniform(-0.25 * s, 0.25 * s))
        if rng.random() < self.p_gray:
            v = TF.rgb_to_grayscale(v, num_output_channels=3)
        if rng.random() < self.p_blur:
            k = max(3, (self.size // 10) | 1)
            v = TF.gaussian_blur(v, [k, k], [float(rng.uniform(0.1, 2.0))] * 2)
        return v, [left, top, left + cw, top + ch], flip

    def __call__(self, image: np.ndarray, rng: np.random.Generator) -> dict:
        img = torch.from_numpy(np.array(image, copy=True)).permute(2, 0, 1)
        (v1, b1, f1), (v2, b2, f2) = self.one(img, rng), self.one(img, rng)
        return dict(views=torch.stack([v1, v2]), boxes=torch.tensor([b1, b2], dtype=torch.float32),
                    flips=torch.tensor([f1, f2]))
