"""Pipeline pieces of the patch path: patch truth, flips that keep grids aligned, packing.

A frame's sample carries its image label and up to two (rows, cols) grids: ``patch_truth``
(true patch labels, for evaluation or the patch-supervised upper bound) and ``patch_pseudo``
(per-patch weak labels, e.g. from :class:`wsseg.weak.clip_prompts.ClipPrompts`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor

from wsseg.registry import MODELS, TRANSFORMS
from wsseg.utils.io import DataError

from .grid import check_grid, patch_majority_any

IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)
# DeepSeagrass training statistics (bag-of-seagrass loaders), on the 0..255 scale.
DEEPSEAGRASS_MEAN = (117.25, 135.86, 99.27)
DEEPSEAGRASS_STD = (26.37, 27.08, 33.86)


@dataclass
class PatchSample:
    """What a patch model receives per frame beside its input tensor."""
    img_path: str
    img_id: str
    img_shape: tuple[int, int]
    image_label: int | None = None
    gt_label: torch.Tensor | None = None      # (rows, cols) long, true patch labels (255 = unknown)
    weak_label: torch.Tensor | None = None    # (rows, cols) long, per-patch pseudo-labels
    grid: tuple[int, int] | None = None       # overrides the model's grid (e.g. (1, 1) for patches)
    pred_label: torch.Tensor | None = None    # (rows, cols) long, set by predict
    extra: dict = field(default_factory=dict)


@TRANSFORMS.register_module()
class LoadPatchTruth:
    """Read true patch labels into ``patch_truth`` (rows, cols).

    ``source='npy'``: ``<truth_dir>/<img_id>.npy`` (the synthetic seagrass layout);
    ``source='mask'``: majority of the loaded ``gt_seg_map`` per array_split cell of ``grid``;
    ``source='patch_label'``: a (1, 1) grid holding the data info's ``patch_label`` (DeepSeagrass
    patch folders).
    """

    def __init__(self, source: str = 'npy', truth_dir: str | None = None,
                 grid: tuple[int, int] = (5, 8), optional: bool = False):
        if source not in ('npy', 'mask', 'patch_label'):
            raise ValueError(f"LoadPatchTruth: source must be 'npy', 'mask' or 'patch_label', got {source!r}")
        if source == 'npy' and not truth_dir:
            raise ValueError("LoadPatchTruth: source='npy' needs truth_dir")
        self.source, self.truth_dir, self.optional = source, truth_dir, optional
        self.grid = check_grid(grid)

    def __call__(self, results: dict) -> dict:
        where = results.get('img_path', '<sample>')
        if self.source == 'patch_label':
            if results.get('patch_label') is None:
                raise DataError(f'{where}: no patch_label in the data info (use DeepSeagrassPatches)')
            results['patch_truth'] = np.array([[int(results['patch_label'])]], np.int64)
            return results
        if self.source == 'mask':
            if results.get('gt_seg_map') is None:
                raise DataError(f"{where}: LoadPatchTruth(source='mask') needs LoadMask before it")
            k = len(results.get('classes') or ()) or int(results['gt_seg_map'].max()) + 1
            results['patch_truth'] = patch_majority_any(np.asarray(results['gt_seg_map']), self.grid, k)
            return results
        path = Path(self.truth_dir) / f"{results['img_id']}.npy"
        if not path.is_file():
            if self.optional:
                return results
            raise DataError(f'{where}: patch truth {path} not found')
        truth = np.load(path)
        if truth.ndim != 2:
            raise DataError(f'{path}: expected a (rows, cols) array, got shape {truth.shape}')
        results['patch_truth'] = truth.astype(np.int64)
        return results


@TRANSFORMS.register_module()
class ImageLabelFromMask:
    """Derive one image label from the loaded mask, for datasets with full masks (e.g. SUIM).

    The label is the foreground class covering the most pixels when it covers at least
    ``min_fraction`` of the image, else ``background_index``. Existing ``image_label`` values
    are overwritten; ``tags`` becomes ``[label]``.
    """

    def __init__(self, background_index: int = 0, min_fraction: float = 0.05, ignore_index: int = 255):
        self.background_index, self.min_fraction, self.ignore_index = background_index, min_fraction, ignore_index

    def __call__(self, results: dict) -> dict:
        mask = results.get('gt_seg_map')
        if mask is None:
            raise DataError(f"{results.get('img_path', '<sample>')}: ImageLabelFromMask needs LoadMask before it")
        k = len(results.get('classes') or ()) or int(np.asarray(mask).max()) + 1
        m = np.asarray(mask).ravel()
        counts = np.bincount(m[m != self.ignore_index].astype(np.int64), minlength=k)[:k].astype(np.float64)
        counts[self.background_index] = -1
        label = int(counts.argmax())
        if counts[label] < self.min_fraction * max(m.size, 1):
            label = self.background_index
        results['image_label'] = label
        results['tags'] = [label]
        return results


@TRANSFORMS.register_module()
class PatchRandomFlip:
    """Horizontal flip of the frame and of its patch grids (``patch_truth``, ``patch_pseudo``)."""

    def __init__(self, prob: float = 0.5):
        self.prob = prob

    def __call__(self, results: dict) -> dict:
        if np.random.rand() < self.prob:
            results['img'] = results['img'][:, ::-1]
            for key in ('patch_truth', 'patch_pseudo'):
                if results.get(key) is not None:
                    results[key] = np.ascontiguousarray(results[key][:, ::-1])
            if results.get('gt_seg_map') is not None:
                results['gt_seg_map'] = results['gt_seg_map'][:, ::-1]
        return results


@TRANSFORMS.register_module()
class PackPatchInputs:
    """Pack ``dict(inputs=uint8 CHW tensor, data_samples=PatchSample)``.

    ``grid`` (optional) is stored in the sample and overrides the model's grid, e.g. ``(1, 1)``
    to classify single patch images.
    """

    def __init__(self, grid: tuple[int, int] | None = None):
        self.grid = None if grid is None else check_grid(grid)

    def __call__(self, results: dict) -> dict:
        img = np.array(results['img'], copy=True)   # PIL arrays are read-only
        label = results.get('image_label', results.get('patch_label'))

        def grid_tensor(key):
            v = results.get(key)
            return None if v is None else torch.as_tensor(np.asarray(v), dtype=torch.long)
        sample = PatchSample(img_path=str(results['img_path']), img_id=str(results.get('img_id', '')),
                             img_shape=tuple(img.shape[:2]),
                             image_label=None if label is None else int(label),
                             gt_label=grid_tensor('patch_truth'), weak_label=grid_tensor('patch_pseudo'),
                             grid=self.grid)
        return dict(inputs=torch.from_numpy(img).permute(2, 0, 1).contiguous(), data_samples=sample)


@MODELS.register_module()
class PatchDataPreprocessor(BaseDataPreprocessor):
    """Stack uint8 frames of one size (no padding: it would shift the grid), normalise, move."""

    def __init__(self, mean=IMAGENET_MEAN, std=IMAGENET_STD):
        super().__init__()
        self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1), persistent=False)

    def forward(self, data: dict, training: bool = False) -> dict:
        imgs = list(data['inputs'])
        samples = list(data.get('data_samples') or [])
        sizes = {tuple(i.shape[-2:]) for i in imgs}
        if len(sizes) > 1:
            files = [s.img_path for s in samples][:4]
            raise ValueError(f'PatchDataPreprocessor: frames of different sizes {sorted(sizes)} in one batch '
                             f'({files}...); add Resize(scale=(H, W)) to the pipeline or use batch_size=1')
        batch = torch.stack(imgs).to(self.device).float()
        batch = (batch - self.mean) / self.std
        for s in samples:
            for key in ('gt_label', 'weak_label'):
                t = getattr(s, key)
                if t is not None:
                    setattr(s, key, t.to(self.device))
        return dict(inputs=batch, data_samples=samples)


def resize_batch(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize of a (B, C, H, W) batch (used to classify cut-out patches)."""
    return F.interpolate(x, size, mode='bilinear', align_corners=False)
