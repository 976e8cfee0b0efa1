"""The dataset base class every wsseg dataset derives from.

A dataset's ``load_data_list`` returns one dict per image. Keys (only ``img_path`` and
``img_id`` are required; a reader follows one image through these keys to the pipeline):

- ``img_path``: image file; ``img_id``: a stable id (file stem), used for output names;
- ``seg_map_path``: full ground-truth class-index mask (optional);
- ``tags``: list[int], image-level class labels;
- ``boxes``: (N, 4) float xyxy 0-based, x2/y2 exclusive; ``box_labels``: (N,) int;
- ``instance_masks``: list of (H, W) bool, one per box, when the format has instances;
- ``scribble_path``: a rasterised scribble PNG (255 = unlabelled) or a ScribbleSup XML;
- ``points``: (M, 2) int (x, y); ``point_labels``: (M,) int;
- ``image_label``: int, one label for the whole frame (DeepSeagrass frames);
- ``patch_label``: int, the label of a patch image (DeepSeagrass patch folders).

The pipeline (``wsseg.datasets.transforms``) turns that into ``img``, ``gt_seg_map`` and
``weak`` (a :class:`wsseg.structures.WeakLabels`) and packs a training sample.
"""
from __future__ import annotations

from mmengine.dataset import BaseDataset

from wsseg.registry import TRANSFORMS
from wsseg.structures import ClassMeta, make_palette
from wsseg.utils.io import DataError


class WeakSegDataset(BaseDataset):
    """mmengine ``BaseDataset`` with class metadata, and an error for an empty split."""

    METAINFO: dict = dict(classes=(), palette=None)

    def __init__(self, *args, ignore_index: int = 255, **kwargs):
        self.ignore_index = ignore_index
        # build wsseg transforms here, so the dataset works outside a 'wsseg'-scoped Runner too
        pipeline = kwargs.get('pipeline') or []
        kwargs['pipeline'] = [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline]
        super().__init__(*args, **kwargs)

    def filter_data(self) -> list[dict]:
        # runs before mmengine serialises (and empties) data_list
        data_list = super().filter_data()
        if not data_list:
            raise DataError(f'{self.describe()}: the dataset is empty (no image found)')
        return data_list

    def _load_metainfo(self, metainfo=None):
        meta = super()._load_metainfo(metainfo)
        if meta.get('classes') and meta.get('palette') is None:
            meta['palette'] = make_palette(len(meta['classes'])).tolist()
        return meta

    @property
    def class_meta(self) -> ClassMeta:
        import numpy as np
        return ClassMeta(tuple(self.metainfo['classes']),
                         np.asarray(self.metainfo['palette'], np.uint8))

    def describe(self) -> str:
        """Where this dataset reads from, for error messages."""
        return f'{type(self).__name__}(data_root={self.data_root!r}, ann_file={self.ann_file!r})'

    def parse_data_info(self, raw_data_info: dict) -> dict:
        raw_data_info.setdefault('classes', tuple(self.metainfo['classes']))
        return raw_data_info
