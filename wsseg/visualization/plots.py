"""Mask colouring, overlays and figures (matplotlib's Agg canvas; no display, no pyplot state).

Every figure is written atomically (temporary file in the same folder, then a rename).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from wsseg.structures import voc_palette
from wsseg.utils.io import temp_beside


def _palette(palette, n: int) -> np.ndarray:
    """(256, 3) uint8 lookup table: the given colours first, VOC colours for the rest."""
    lut = voc_palette(256)
    if palette is not None:
        pal = np.asarray(palette, np.uint8).reshape(-1, 3)[:256]
        lut[:len(pal)] = pal
    return lut


def _rgb_uint8(image: np.ndarray) -> np.ndarray:
    """Grey / RGB / RGBA, uint8 or float in [0, 1] -> RGB uint8."""
    img = np.asarray(image)
    if img.dtype.kind == 'f':
        img = np.clip(img * (255.0 if img.max(initial=0) <= 1.0 else 1.0), 0, 255).round()
    img = img.astype(np.uint8)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    if img.ndim != 3 or img.shape[2] not in (3, 4):
        raise ValueError(f'expected an (H, W), (H, W, 3) or (H, W, 4) image, got shape {img.shape}')
    return img[..., :3]


def colorize(mask: np.ndarray, palette=None, ignore_index: int = 255,
             ignore_color: Sequence[int] = (255, 255, 255)) -> np.ndarray:
    """Class-index mask (H, W) -> RGB (H, W, 3) uint8; ``ignore_index`` pixels get ``ignore_color``."""
    m = np.asarray(mask)
    if m.ndim != 2:
        raise ValueError(f'colorize: expected an (H, W) mask, got shape {m.shape}')
    lut = _palette(palette, 256)
    lut[ignore_index % 256] = np.asarray(ignore_color, np.uint8)
    return lut[m.astype(np.int64) % 256]


def overlay(image: np.ndarray, mask: np.ndarray, palette=None, alpha: float = 0.5,
            ignore_index: int = 255) -> np.ndarray:
    """Blend the class colours of ``mask`` onto ``image`` (RGB uint8 out); ignore pixels stay as is."""
    img = _rgb_uint8(image)
    m = np.asarray(mask)
    if m.shape != img.shape[:2]:
        raise ValueError(f'overlay: mask size {m.shape} differs from image size {img.shape[:2]}')
    col = colorize(m, palette, ignore_index).astype(np.float32)
    out = img.astype(np.float32)
    painted = m != ignore_index
    out[painted] = (1 - alpha) * out[painted] + alpha * col[painted]
    return np.clip(out.round(), 0, 255).astype(np.uint8)


def _save(fig: Figure, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(fig)
    fd, tmp = temp_beside(path)   # mode of a plain open(), not 0600
    try:
        with os.fdopen(fd, 'wb') as f:
            fig.savefig(f, format=path.suffix.lstrip('.') or 'png', bbox_inches='tight')
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def save_overlay_grid(path, images: Sequence[np.ndarray], masks_list: Sequence[Sequence],
                      titles: Sequence[str], palette=None, alpha: float = 0.5,
                      row_names: Sequence[str] | None = None,
                      classes: Sequence[str] | None = None) -> Path:
    """One row per image: the image, then an overlay per mask (e.g. GT / pseudo / prediction).

    ``masks_list[i]`` holds the masks of ``images[i]`` (``None`` for a missing one);
    ``titles`` names the mask columns (or, with one more entry, the image column too);
    ``classes`` (names in index order) adds a colour legend below the grid.
    """
    if len(images) != len(masks_list):
        raise ValueError(f'save_overlay_grid: {len(images)} images but {len(masks_list)} mask rows')
    if not images:
        raise ValueError('save_overlay_grid: no images given')
    ncols = 1 + max(len(m) for m in masks_list)
    titles = list(titles)
    if len(titles) == ncols - 1:
        titles = ['image'] + titles
    if len(titles) != ncols:
        raise ValueError(f'save_overlay_grid: {len(titles)} titles for {ncols - 1} mask columns')
    nrows = len(images)
    fig = Figure(figsize=(2.6 * ncols, 2.4 * nrows))
    axes = np.asarray(fig.subplots(nrows, ncols, squeeze=False))
    for r, (img, masks) in enumerate(zip(images, masks_list)):
        rgb = _rgb_uint8(img)
        cells = [rgb] + [None if m is None else overlay(rgb, m, palette, alpha) for m in masks]
        cells += [None] * (ncols - len(cells))
        for c, cell in enumerate(cells):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if cell is None:
                ax.text(0.5, 0.5, 'n/a', ha='center', va='center', transform=ax.transAxes)
            else:
                ax.imshow(cell)
            if r == 0:
                ax.set_title(titles[c], fontsize=9)
            if c == 0 and row_names is not None:
                ax.set_ylabel(str(row_names[r]), fontsize=8)
    fig.tight_layout()
    if classes:
        lut = _palette(palette, len(classes))
        handles = [Patch(facecolor=lut[i] / 255.0, edgecolor='0.4', label=str(c)) for i, c in enumerate(classes)]
        fig.legend(handles=handles, loc='upper center', bbox_to_anchor=(0.5, 0.0), ncol=min(len(handles), 6),
                   fontsize=8, frameon=False)
    return _save(fig, path)


def plot_confusion(cm: np.ndarray, classes: Sequence[str], path, normalize: str | None = 'true',
                   title: str = 'confusion matrix') -> Path:
    """Heat map of a confusion matrix (rows = ground truth, columns = prediction).

    ``normalize``: ``'true'`` (rows sum to 1), ``'pred'`` (columns), ``'all'`` or ``None`` (counts).
    """
    cm = np.asarray(cm, np.float64)
    k = cm.shape[0]
    if cm.shape != (k, k) or len(classes) != k:
        raise ValueError(f'plot_confusion: matrix {cm.shape} does not match {len(classes)} classes')
    if normalize == 'true':
        den = cm.sum(1, keepdims=True)
    elif normalize == 'pred':
        den = cm.sum(0, keepdims=True)
    elif normalize == 'all':
        den = np.full((1, 1), cm.sum())
    elif normalize is None:
        den = np.ones((1, 1))
    else:
        raise ValueError(f"plot_confusion: normalize must be 'true', 'pred', 'all' or None, got {normalize!r}")
    val = np.divide(cm, den, out=np.zeros_like(cm), where=den != 0)
    side = max(4.0, 0.5 * k + 2)
    fig = Figure(figsize=(side + 1, side))
    ax = fig.subplots()
    im = ax.imshow(val, cmap='Blues', vmin=0, vmax=1 if normalize else None)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(range(k), [str(c) for c in classes], rotation=45, ha='right', fontsize=8)
    ax.set_yticks(range(k), [str(c) for c in classes], fontsize=8)
    ax.set_xlabel('prediction')
    ax.set_ylabel('ground truth')
    ax.set_title(title + (f' (normalised over {normalize})' if normalize else ''))
    if k <= 30:
        hi = val.max(initial=0) / 2
        for i in range(k):
            for j in range(k):
                txt = f'{val[i, j]:.2f}' if normalize else f'{int(cm[i, j])}'
                ax.text(j, i, txt, ha='center', va='center', fontsize=6 if k > 12 else 8,
                        color='white' if val[i, j] > hi else 'black')
    fig.tight_layout()
    return _save(fig, path)


def plot_curves(path, series: dict, xlabel: str = '', ylabel: str = '', title: str = '',
                logx: bool = False) -> Path:
    """Line plot of named ``(x, y)`` series: learning curves, budget curves (e.g. mIoU vs labels)."""
    if not series:
        raise ValueError('plot_curves: no series given')
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    for name, (x, y) in series.items():
        x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
        if x.shape != y.shape:
            raise ValueError(f'plot_curves: series {name!r} has {x.size} x values and {y.size} y values')
        ax.plot(x, y, marker='o' if x.size <= 30 else None, markersize=4, label=str(name))
    if logx:
        ax.set_xscale('log')
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path)
