"""Coloured patch maps of whole-frame inference, written as PNG."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from mmengine.hooks import Hook

from wsseg.registry import HOOKS
from wsseg.utils.io import read_image, write_png_atomic

from .grid import colour_patch_map


def save_patch_map(path: str | Path, labels: np.ndarray, palette, image: np.ndarray | None = None) -> Path:
    """Write the frame with its predicted cells tinted by class colour (or the cells alone)."""
    path = Path(path)
    write_png_atomic(path, colour_patch_map(np.asarray(labels), palette, image))
    return path


@HOOKS.register_module()
class SavePatchMapsHook(Hook):
    """After each test iteration, write ``<out_dir>/<img_id>.png``: the frame with its patch map.

    ``out_dir`` defaults to ``<work_dir>/patch_maps``; the palette is the test dataset's.
    """

    def __init__(self, out_dir: str | None = None, overlay: bool = True):
        self.out_dir, self.overlay = out_dir, overlay

    def after_test_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        out = Path(self.out_dir or Path(runner.work_dir) / 'patch_maps')
        palette = runner.test_dataloader.dataset.metainfo['palette']
        for s in outputs or []:
            img = read_image(s.img_path) if self.overlay else None
            save_patch_map(out / f'{s.img_id}.png', s.pred_label.cpu().numpy(), palette, img)
