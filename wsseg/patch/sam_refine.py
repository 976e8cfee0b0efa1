"""Beyond the paper: pixel masks from a patch map by prompting SAM with it.

Prompts (:func:`patch_prompts`): one prompt per **connected group of patches of one foreground
class** (4-connected cells of the argmax patch map):

- a box around the group's cells,
- a positive point at the centre of each of its cells,
- a negative point at the centre of every other cell inside that box (background or another
  class).

Why this shape: SAM segments one object per prompt, so a class spread over two separate
regions of the frame becomes two prompts rather than one prompt asking for two objects. The box
says where the region is; the cell centres say which parts of the box are the class and which
are not, so SAM does not fill a box drawn around an L-shaped group.

Assembly (:func:`assemble_class_map`): every prompt's mask logits are kept inside its box
widened by ``margin`` cells on each side (pixel borders may cross the patch grid, but a prompt
cannot claim a far-away region); each pixel takes the class of its highest mask logit above
``mask_threshold`` (SAM's 0), and background where no prompt claims it. A patch map without
foreground gives an all-background mask without running SAM.

SAM comes from :func:`wsseg.models.sam.build_sam_from_cfg`: ``dict(type='vit_b',
checkpoint=PATH)`` (a missing file is a ``CheckpointError`` naming it) or, for tests and plumbing
checks, ``dict(type='small', ...)`` with random weights, whose masks say nothing about quality.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy import ndimage

from wsseg.models.sam import (build_sam_from_cfg, decode_prompts, logits_to_frame, preprocess_image,
                              transform_boxes, transform_points)

from .grid import grid_bounds


@dataclass
class PatchPrompt:
    """One SAM prompt for one connected group of patches of class ``label``."""
    label: int
    cells: np.ndarray           # (n, 2) (row, col) of the group's patches
    box: np.ndarray             # (4,) x0, y0, x1, y1 in pixels (cell edges)
    points: np.ndarray          # (P, 2) x, y pixel indices of cell centres
    point_labels: np.ndarray    # (P,) 1 = positive (the group's cells), 0 = negative


def cell_centres(hw: tuple[int, int], grid: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """x of each column's and y of each row's centre, as pixel indices (array_split cells)."""
    ys, xs = grid_bounds(hw[0], grid[0]), grid_bounds(hw[1], grid[1])
    return (xs[:-1] + xs[1:] - 1) / 2, (ys[:-1] + ys[1:] - 1) / 2


def patch_prompts(labels: np.ndarray, hw: tuple[int, int], background_index: int,
                  ignore_index: int = 255) -> list[PatchPrompt]:
    """Prompts of a (rows, cols) patch label map on a frame of size ``hw`` (see module doc)."""
    labels = np.asarray(labels)
    rows, cols = labels.shape
    ys, xs = grid_bounds(hw[0], rows), grid_bounds(hw[1], cols)
    cx, cy = cell_centres(hw, (rows, cols))
    out = []
    for c in np.unique(labels):
        if c in (background_index, ignore_index):
            continue
        groups, n = ndimage.label(labels == c)
        for g in range(1, n + 1):
            cells = np.argwhere(groups == g)
            (r0, c0), (r1, c1) = cells.min(0), cells.max(0)
            inside = np.argwhere(np.ones((r1 - r0 + 1, c1 - c0 + 1), bool)) + (r0, c0)
            neg = np.array([rc for rc in inside if labels[rc[0], rc[1]] not in (c, ignore_index)],
                           np.int64).reshape(-1, 2)
            pts = np.concatenate([cells, neg])
            out.append(PatchPrompt(
                label=int(c), cells=cells,
                box=np.array([xs[c0], ys[r0], xs[c1 + 1], ys[r1 + 1]], np.float64),
                points=np.stack([cx[pts[:, 1]], cy[pts[:, 0]]], 1),
                point_labels=np.r_[np.ones(len(cells)), np.zeros(len(neg))].astype(np.int64)))
    return out


def assemble_class_map(logits: np.ndarray, prompts: list[PatchPrompt], hw: tuple[int, int],
                       grid: tuple[int, int], background_index: int, margin: float = 0.5,
                       mask_threshold: float = 0.0) -> np.ndarray:
    """(H, W) uint8 class map from per-prompt mask logits (N, H, W) (see module doc)."""
    h, w = hw
    best = np.full((h, w), -np.inf, np.float32)
    out = np.full((h, w), background_index, np.uint8)
    mx, my = margin * w / grid[1], margin * h / grid[0]
    for lg, p in zip(logits, prompts):
        x0, y0, x1, y1 = p.box
        ya, yb = max(0, int(np.floor(y0 - my))), min(h, int(np.ceil(y1 + my)))
        xa, xb = max(0, int(np.floor(x0 - mx))), min(w, int(np.ceil(x1 + mx)))
        win = lg[ya:yb, xa:xb]
        take = (win > mask_threshold) & (win > best[ya:yb, xa:xb])
        best[ya:yb, xa:xb][take] = win[take]
        out[ya:yb, xa:xb][take] = p.label
    return out


class SamPatchRefiner:
    """``refiner(image, probs) -> (H, W) uint8``: SAM prompted by the argmax patch map.

    Args:
        sam: a ``build_sam_from_cfg`` config (``dict(type='vit_b', checkpoint=PATH)``) or a Sam.
        background_index: the background class (default: the last of ``probs``).
        margin: how far (in cells) a prompt's mask may reach beyond its box.
    """

    def __init__(self, sam, background_index: int | None = None, margin: float = 0.5,
                 mask_threshold: float = 0.0):
        self.sam = build_sam_from_cfg(sam).eval()
        self.background_index, self.margin, self.mask_threshold = background_index, margin, mask_threshold
        self.last_prompts: list[PatchPrompt] = []

    @torch.no_grad()
    def mask_logits(self, image: np.ndarray, prompts: list[PatchPrompt]) -> np.ndarray:
        """(N, H, W) SAM mask logits of the prompts on the image (one encoder pass)."""
        hw = image.shape[:2]
        emb = self.sam.image_encoder(preprocess_image(self.sam, image))[0]
        n_pts = max(len(p.points) for p in prompts)
        pts = np.zeros((len(prompts), n_pts, 2))
        lab = -np.ones((len(prompts), n_pts), np.int64)          # -1 = padding for SAM
        for i, p in enumerate(prompts):
            pts[i, :len(p.points)], lab[i, :len(p.points)] = p.points, p.point_labels
        low = decode_prompts(self.sam, emb, transform_boxes(self.sam, np.stack([p.box for p in prompts]), hw),
                             transform_points(self.sam, pts, hw),
                             torch.as_tensor(lab, device=self.sam.device))
        return logits_to_frame(self.sam, low, hw).cpu().numpy()

    def __call__(self, image: np.ndarray, probs: np.ndarray) -> np.ndarray:
        probs = np.asarray(probs)
        bg = probs.shape[0] - 1 if self.background_index is None else self.background_index
        hw, grid = image.shape[:2], probs.shape[1:]
        self.last_prompts = patch_prompts(probs.argmax(0), hw, bg)
        if not self.last_prompts:
            return np.full(hw, bg, np.uint8)
        logits = self.mask_logits(image, self.last_prompts)
        return assemble_class_map(logits, self.last_prompts, hw, grid, bg, self.margin, self.mask_threshold)
