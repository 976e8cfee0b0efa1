"""The mmseg second stage's MSRC-21 dataset: a pseudo-mask folder missing train images is an
error listing them, or bad_data='skip' leaves them out. Needs the compiled mmcv."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config

from wsseg.utils.io import DataError, write_png_atomic

pytest.importorskip('mmcv.ops', reason='mmcv with compiled ops is built by tools/setup_env.sh')
REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize('config', ['configs/stage2/msrc21_pseudo.py', 'configs/stage2/msrc21_pseudo_m2f.py'])
def test_msrc21_stage2_dataset_lists_missing_pseudo_masks(config, shared_data, tmp_path):
    from mmengine.registry import DefaultScope
    from mmseg.registry import DATASETS

    from wsseg.stage2 import prepare_mmseg
    prepare_mmseg()
    root = shared_data / 'msrc21'
    ids = sorted(p.stem for p in (root / 'images' / 'val').glob('*.png'))
    for i in ids[2:]:
        write_png_atomic(tmp_path / 'pseudo' / f'{i}.png', np.full((213, 320), 255, np.uint8))
    cfg = Config.fromfile(str(REPO / config))
    assert cfg.model.decode_head.num_classes == 21
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.data_root = str(root)
    ds_cfg.data_prefix = dict(img_path='images/val', seg_map_path=str(tmp_path / 'pseudo'))
    with DefaultScope.overwrite_default_scope('mmseg'):      # the config's scope: mmseg transforms
        with pytest.raises(DataError, match=rf'pseudo: no pseudo-mask for 2 of 58 train images .*{ids[0]}, {ids[1]}\.'):
            DATASETS.build(ds_cfg)
        ds = DATASETS.build(dict(ds_cfg, bad_data='skip'))
        out = ds[0]
    assert tuple(out['data_samples'].gt_sem_seg.data.shape[-2:]) == (128, 128)   # the random crop
    assert len(ds) == 56 and ds.missing_ids == ids[:2]
    assert Path(ds.get_data_info(0)['seg_map_path']).name == f'{ids[2]}.png'
