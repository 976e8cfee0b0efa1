"""The patch path on a second dataset: SUIM with image labels derived from its masks."""
from __future__ import annotations

import numpy as np
from mmengine.config import Config

from wsseg.patch.data import ImageLabelFromMask
from wsseg.registry import DATASETS


def test_image_label_is_the_largest_foreground_class():
    mask = np.zeros((10, 10), np.uint8)
    mask[:3] = 2          # 30 %
    mask[3:5] = 5         # 20 %
    out = ImageLabelFromMask(background_index=0)(dict(gt_seg_map=mask, classes=tuple('abcdef')))
    assert out['image_label'] == 2 and out['tags'] == [2]
    tiny = np.zeros((10, 10), np.uint8)
    tiny[0, :2] = 4       # 2 % < min_fraction
    assert ImageLabelFromMask(min_fraction=0.05)(dict(gt_seg_map=tiny, classes=tuple('abcdef')))['image_label'] == 0


def test_suim_config_packs_image_labels_and_patch_truth(shared_data, repo_root):
    cfg = Config.fromfile(str(repo_root / 'configs/seafeats/seafeats_suim.py'))
    cfg.test_dataloader.dataset.data_root = str(shared_data / 'suim')
    ds = DATASETS.build(cfg.test_dataloader.dataset)
    assert len(ds) == 8
    item = ds[0]
    s = item['data_samples']
    assert item['inputs'].shape == (3, 240, 320)
    assert s.gt_label.shape == (5, 8) and 0 < s.image_label < 8
    assert int((s.gt_label == s.image_label).sum()) > 0      # the label's class is in some patch
