"""Points: from the data info (``points`` / ``point_labels``) or simulated from the mask."""
from __future__ import annotations

import numpy as np

from wsseg.registry import WEAK_LABELS
from wsseg.utils.io import DataError

from .base import WeakLabelSource, get_weak
from .simulate import simulate_points


@WEAK_LABELS.register_module()
class Points(WeakLabelSource):
    """Appends clicked points (x, y) and their labels to ``weak``.

    Reads ``points`` and ``point_labels``; with ``simulate=True``, ``n_per_region`` interior
    points per connected region of ``gt_seg_map`` (see :func:`simulate_points`), seeded per
    image from (``seed``, ``img_id``).
    """

    kind = 'points'

    def __init__(self, simulate: bool = False, seed: int = 0, n_per_region: int = 1,
                 min_area: int = 0, background_index: int | None = None):
        super().__init__(simulate, seed)
        self.n_per_region, self.min_area = n_per_region, min_area
        self.background_index = background_index

    def __call__(self, results: dict) -> None:
        src = results.get('img_path', '<sample>')
        if self.simulate:
            pts, labels = self.simulated(results, lambda: simulate_points(
                self.gt_mask(results), self.n_per_region, self.rng(results), self.min_area,
                self.background_index))
        elif results.get('points') is not None:
            pts = np.asarray(results['points'])
            if pts.size and (pts.ndim != 2 or pts.shape[1] != 2):
                raise DataError(f'{src}: points must be (M, 2) (x, y), got shape {pts.shape}')
            if results.get('point_labels') is None:
                raise DataError(f'{src}: {len(pts)} points but no point_labels in the data info')
            labels = results['point_labels']
        else:
            raise DataError(f'{src}: no points in the data info (use Points(simulate=True) to '
                            'derive them from the mask)')
        weak = get_weak(results)
        weak.points = np.concatenate([weak.points, np.asarray(pts, np.int64).reshape(-1, 2)])
        weak.point_labels = np.concatenate([weak.point_labels,
                                            np.asarray(labels, np.int64).reshape(-1)])
        self.validate(results)
