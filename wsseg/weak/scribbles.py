"""Scribbles: a rasterised PNG or ScribbleSup XML (``scribble_path``), or simulated."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from wsseg.registry import WEAK_LABELS
from wsseg.structures import IGNORE
from wsseg.utils.io import DataError, read_mask

from .base import WeakLabelSource, get_weak
from .simulate import simulate_scribbles


@WEAK_LABELS.register_module()
class Scribbles(WeakLabelSource):
    """Sets ``weak.scribbles`` ((H, W) uint8, 255 = unlabelled).

    Reads ``scribble_path``: a ``.xml`` file is a ScribbleSup annotation, rasterised by
    ``wsseg.datasets.voc.rasterize_scribble_xml(path, img_shape, classes, **xml_options)``;
    anything else is a class-index PNG (``read_mask``, which checks its size against the
    image and its values against the classes). A scribble file without any labelled pixel
    is a DataError. With ``simulate=True`` the strokes come from ``gt_seg_map`` via
    :func:`simulate_scribbles` (``coverage``, ``width``, ``min_area``, ``background_index``),
    seeded per image from (``seed``, ``img_id``). Pixels already scribbled by an earlier
    source keep their class unless the new map labels them.
    """

    kind = 'scribbles'

    def __init__(self, simulate: bool = False, seed: int = 0, coverage: float = 0.03,
                 width: int = 3, min_area: int = 16, background_index: int | None = None,
                 xml_options: dict | None = None):
        super().__init__(simulate, seed)
        if not 0 < coverage <= 1:
            raise ValueError(f'Scribbles: coverage must be in (0, 1], got {coverage}')
        self.coverage, self.width, self.min_area = coverage, width, min_area
        self.background_index = background_index
        self.xml_options = dict(xml_options or {})

    def read(self, results: dict) -> np.ndarray:
        """The scribble map of ``scribble_path`` at the image's size."""
        path = results.get('scribble_path')
        if path is None:
            raise DataError(f"{results.get('img_path', '<sample>')}: no scribble_path in the data "
                            'info (use Scribbles(simulate=True) to derive scribbles from the mask)')
        shape = tuple(results['img_shape'][:2])
        classes = tuple(results.get('classes') or ())
        if Path(path).suffix.lower() == '.xml':
            from wsseg.datasets.voc import rasterize_scribble_xml
            scr = rasterize_scribble_xml(path, shape, classes, **self.xml_options)
        else:
            scr = read_mask(path, len(classes) or None, shape)
        if not (scr != IGNORE).any():
            raise DataError(f'{path}: empty scribble (no labelled pixel; 255 = unlabelled everywhere)')
        return scr

    def __call__(self, results: dict) -> None:
        if self.simulate:
            scr = self.simulated(results, lambda: simulate_scribbles(
                self.gt_mask(results), self.coverage, self.rng(results), self.width,
                self.background_index, self.min_area))
        else:
            scr = self.read(results)
        weak = get_weak(results)
        if weak.scribbles is not None and weak.scribbles.shape == scr.shape:
            scr = np.where(scr != IGNORE, scr, weak.scribbles).astype(np.uint8)
        weak.scribbles = np.asarray(scr, np.uint8)
        self.validate(results)
