"""Patch grids on frames of any size.

Policy for frames whose size does not divide into the grid (as the SeaFeats whole-image
inference script): cells come from ``numpy.array_split`` of the pixel rows and columns, so the
first ``H % rows`` cell rows are one pixel taller than the rest (same for columns). Nothing is
cropped, padded or resized, and no frame size is refused as long as it has at least one pixel
per cell. Feature maps are pooled to the grid with ``adaptive_avg_pool2d`` (any size works).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def grid_bounds(length: int, cells: int) -> np.ndarray:
    """``cells + 1`` boundaries of ``np.array_split(range(length), cells)``."""
    if cells < 1 or length < cells:
        raise ValueError(f'grid_bounds: cannot split {length} pixels into {cells} cells '
                         '(need at least one pixel per cell)')
    sizes = np.array([len(a) for a in np.array_split(np.arange(length), cells)])
    return np.concatenate([[0], np.cumsum(sizes)])


def check_grid(grid) -> tuple[int, int]:
    """``(rows, cols)`` as ints >= 1, or a ValueError naming the bad value."""
    try:
        rows, cols = (int(v) for v in grid)
    except (TypeError, ValueError):
        raise ValueError(f'grid must be (rows, cols), got {grid!r}') from None
    if rows < 1 or cols < 1:
        raise ValueError(f'grid must be (rows, cols) >= 1, got {grid!r}')
    return rows, cols


def split_patches(img: np.ndarray, grid) -> list[np.ndarray]:
    """Row-major list of the ``rows * cols`` patches of an (H, W, ...) array (array_split)."""
    rows, cols = check_grid(grid)
    ys, xs = grid_bounds(img.shape[0], rows), grid_bounds(img.shape[1], cols)
    return [img[ys[r]:ys[r + 1], xs[c]:xs[c + 1]] for r in range(rows) for c in range(cols)]


def patch_map_to_pixels(patch_map: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Paint a (rows, cols[, K]) patch map onto an (H, W[, K]) pixel grid (array_split cells)."""
    rows, cols = patch_map.shape[:2]
    ys, xs = grid_bounds(shape[0], rows), grid_bounds(shape[1], cols)
    ry = np.repeat(np.arange(rows), np.diff(ys))
    rx = np.repeat(np.arange(cols), np.diff(xs))
    return patch_map[ry][:, rx]


def patch_majority_any(truth: np.ndarray, grid, num_classes: int, ignore: int = 255) -> np.ndarray:
    """(rows, cols) majority class of each array_split cell of a pixel mask (ties: lower index).

    Cells whose pixels are all ``ignore`` get ``ignore``.
    """
    rows, cols = check_grid(grid)
    out = np.full((rows, cols), ignore, np.int64)
    ys, xs = grid_bounds(truth.shape[0], rows), grid_bounds(truth.shape[1], cols)
    for r in range(rows):
        for c in range(cols):
            cell = truth[ys[r]:ys[r + 1], xs[c]:xs[c + 1]].ravel()
            counts = np.bincount(cell[cell != ignore].astype(np.int64), minlength=num_classes)
            if counts.sum():
                out[r, c] = int(counts[:num_classes].argmax())
    return out


def grid_pool(feat: torch.Tensor, grid) -> torch.Tensor:
    """(B, C, h, w) feature map -> (B, C, rows, cols) by adaptive average pooling."""
    return F.adaptive_avg_pool2d(feat, check_grid(grid))


def colour_patch_map(labels: np.ndarray, palette, image: np.ndarray | None = None,
                     alpha: float = 0.45) -> np.ndarray:
    """RGB picture of a (rows, cols) label map: the frame with coloured cells, or the cells alone.

    ``palette`` is a (K, 3) list of RGB colours; label 255 stays uncoloured (grey when alone).
    """
    pal = np.asarray(palette, np.float32)
    labels = np.asarray(labels)
    if image is None:
        shape = (labels.shape[0] * 32, labels.shape[1] * 32)
        base = np.full((*shape, 3), 128, np.float32)
    else:
        base = np.asarray(image, np.float32)
        shape = base.shape[:2]
    pix = patch_map_to_pixels(labels, shape)
    known = pix != 255
    colour = pal[np.where(known, pix, 0)]
    a = alpha if image is not None else 1.0
    out = np.where(known[..., None], (1 - a) * base + a * colour, base)
    ys, xs = grid_bounds(shape[0], labels.shape[0]), grid_bounds(shape[1], labels.shape[1])
    out[np.clip(ys[1:-1], 0, shape[0] - 1)] = 255        # cell borders in white
    out[:, np.clip(xs[1:-1], 0, shape[1] - 1)] = 255
    return np.clip(out, 0, 255).astype(np.uint8)
