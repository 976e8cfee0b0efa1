"""Image tags: from the data info (``tags`` or ``image_label``) or simulated from the mask."""
from __future__ import annotations

import numpy as np

from wsseg.registry import WEAK_LABELS
from wsseg.utils.io import DataError

from .base import WeakLabelSource, get_weak
from .simulate import simulate_tags


@WEAK_LABELS.register_module()
class Tags(WeakLabelSource):
    """Adds image-level class labels to ``weak.tags`` (union with any already there).

    Reads ``tags`` (list of class indices), else ``image_label`` (one index for the whole
    frame); with ``simulate=True``, the classes present in ``gt_seg_map``.
    """

    kind = 'tags'

    def __call__(self, results: dict) -> None:
        if self.simulate:
            tags = simulate_tags(self.gt_mask(results))
        elif results.get('tags') is not None:
            tags = results['tags']
        elif results.get('image_label') is not None:
            tags = [results['image_label']]
        else:
            raise DataError(f"{results.get('img_path', '<sample>')}: no tags or image_label in the "
                            'data info (use Tags(simulate=True) to derive them from the mask)')
        weak = get_weak(results)
        weak.tags = np.unique(np.concatenate([weak.tags, np.asarray(tags, np.int64).reshape(-1)]))
        self.validate(results)
