"""mmseg's ``BaseSegDataset`` with the pseudo-mask check of :mod:`wsseg.stage2.pseudo_masks`:
a train image without its pseudo-mask is a DataError listing every missing id, or with
``bad_data='skip'`` is left out (listed in a warning and in ``missing_ids``).

Imported by the mmseg second-stage configs (``custom_imports``); it imports mmseg.
"""
from __future__ import annotations

from pathlib import Path

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from wsseg.stage2.pseudo_masks import check_pseudo_masks


@DATASETS.register_module()
class PseudoMaskSegDataset(BaseSegDataset):
    """``BaseSegDataset`` whose ``seg_map_path`` folder holds pseudo-masks (255 = undecided).

    Args:
        bad_data: ``'stop'`` (default) or ``'skip'``, see :func:`check_pseudo_masks`.
        Everything else as ``BaseSegDataset`` (``data_prefix``, ``img_suffix``, ``metainfo``, ...).
    """

    def __init__(self, *args, bad_data: str = 'stop', **kwargs):
        self.bad_data = bad_data
        self.missing_ids: list[str] = []
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> list[dict]:
        data_list = super().load_data_list()
        if not data_list:
            return data_list
        stem = lambda d: Path(d['seg_map_path']).name[:-len(self.seg_map_suffix)]  # noqa: E731
        mask_dir = Path(data_list[0]['seg_map_path']).parent
        self.missing_ids = check_pseudo_masks([stem(d) for d in data_list], mask_dir, self.seg_map_suffix,
                                              self.bad_data, f'{type(self).__name__} train split')
        gone = set(self.missing_ids)
        return [d for d in data_list if stem(d) not in gone]
