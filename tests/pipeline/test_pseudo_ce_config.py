"""configs/camvid/pseudo_ce.py: the wsseg CamVid recipe trained with plain CE on a mask folder
(the CamVid chain's control). It must read the folder's masks, not CamVid's own, and stop with
the file's name when a train image has no mask there."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config

from wsseg.registry import DATASETS
from wsseg.utils.io import DataError, write_png_atomic

REPO = Path(__file__).resolve().parents[2]


def _config(shared_data: Path, mask_dir: Path) -> Config:
    cfg = Config.fromfile(str(REPO / 'configs/camvid/pseudo_ce.py'))
    ds = cfg.train_dataloader.dataset
    ds.img_dir = str(shared_data / 'camvid' / 'images' / 'train')
    ds.mask_dir = str(mask_dir)
    return cfg


def _train_stems(shared_data: Path) -> list[str]:
    return sorted(p.stem for p in (shared_data / 'camvid' / 'images' / 'train').glob('*.jpg'))


def test_pseudo_ce_reads_the_mask_folder(shared_data, tmp_path):
    stems = _train_stems(shared_data)
    for i, stem in enumerate(stems):       # a folder whose masks differ from the true ones
        write_png_atomic(tmp_path / f'{stem}.png', np.full((180, 240), 3 + i % 2, np.uint8))
    cfg = _config(shared_data, tmp_path)
    assert cfg.model.losses == [dict(type='PartialCrossEntropy')]     # plain CE, 255 ignored
    ds = DATASETS.build(cfg.train_dataloader.dataset)
    assert len(ds) == len(stems) == 367
    for idx in (0, 1):
        target = ds[idx]['data_samples'].target
        assert target.unique().tolist() == [3 + idx]


def test_pseudo_ce_names_a_missing_mask(shared_data, tmp_path):
    stems = _train_stems(shared_data)
    for stem in stems[1:]:
        write_png_atomic(tmp_path / f'{stem}.png', np.zeros((180, 240), np.uint8))
    with pytest.raises(DataError, match=stems[0]):
        DATASETS.build(_config(shared_data, tmp_path).train_dataloader.dataset)
