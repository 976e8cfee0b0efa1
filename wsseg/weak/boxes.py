"""Boxes: from the data info (``boxes`` / ``box_labels``) or simulated from the masks."""
from __future__ import annotations

import numpy as np

from wsseg.registry import WEAK_LABELS
from wsseg.utils.io import DataError

from .base import WeakLabelSource, get_weak
from .simulate import simulate_boxes


@WEAK_LABELS.register_module()
class Boxes(WeakLabelSource):
    """Appends boxes (xyxy, 0-based, x2/y2 exclusive) and their labels to ``weak``.

    Reads ``boxes`` and ``box_labels``; with ``simulate=True`` boxes are the tight boxes of
    ``instance_masks`` when the data info has them (labels: ``box_labels`` if given), else of
    every connected region of ``gt_seg_map`` (see :func:`simulate_boxes`; ``min_area`` and
    ``background_index`` apply).
    """

    kind = 'boxes'

    def __init__(self, simulate: bool = False, seed: int = 0, min_area: int = 0,
                 background_index: int | None = None):
        super().__init__(simulate, seed)
        self.min_area, self.background_index = min_area, background_index

    def __call__(self, results: dict) -> None:
        src = results.get('img_path', '<sample>')
        if self.simulate:
            inst = results.get('instance_masks')
            try:
                make = lambda: simulate_boxes(  # noqa: E731
                    self.gt_mask(results), instance_masks=inst,
                    instance_labels=results.get('box_labels') if inst is not None else None,
                    min_area=self.min_area, background_index=self.background_index)
                boxes, labels = make() if inst is not None else self.simulated(results, make)
            except DataError:
                raise
            except ValueError as e:     # instance masks that do not fit the mask or labels
                raise DataError(f'{src}: {e}') from e
        elif results.get('boxes') is not None:
            boxes = np.asarray(results['boxes'], np.float32)
            if boxes.size and (boxes.ndim != 2 or boxes.shape[1] != 4):
                raise DataError(f'{src}: boxes must be (N, 4) xyxy, got shape {boxes.shape}')
            if results.get('box_labels') is None:
                raise DataError(f'{src}: {len(boxes)} boxes but no box_labels in the data info')
            labels = results['box_labels']
        else:
            raise DataError(f'{src}: no boxes in the data info (use Boxes(simulate=True) to '
                            'derive them from the mask)')
        weak = get_weak(results)
        weak.add_boxes(boxes, labels)
        self.validate(results)
