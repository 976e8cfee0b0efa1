"""tools/bench_tags.py end to end on three real MSRC-21 train images, random weights: CAMs ->
seeds -> the cross-image superpixel classifier -> one self-training round from a stage-2
network -> report. Scores are those of random networks; what is checked is that every step writes one valid mask per image and the report
scores each folder against the train masks."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

from tools.bench_tags import main
from wsseg.registry import MODELS
from wsseg.utils.io import read_mask
from wsseg.utils.setup_env import register_all_modules

REPO = Path(__file__).resolve().parents[2]


def test_bench_tags_seeds_and_self_training_on_real_images(shared_data, tmp_path):
    register_all_modules()
    cam_cfg = tmp_path / 'cam.py'
    cam_cfg.write_text(f"_base_ = ['{REPO / 'configs/cam/msrc21_tags_cam.py'}']\n"
                       f"train_dataloader = dict(dataset=dict(data_root='{shared_data / 'msrc21'}'))\n")
    st2_cfg = tmp_path / 'stage2.py'
    st2_cfg.write_text(f"_base_ = ['{REPO / 'configs/msrc21/tags_stage2.py'}']\n"
                       "model = dict(net=dict(aspp_channels=32))\n")
    torch.manual_seed(0)
    torch.save(MODELS.build(Config.fromfile(str(cam_cfg)).model).state_dict(), tmp_path / 'cam.pth')
    torch.save(MODELS.build(Config.fromfile(str(st2_cfg)).model).state_dict(), tmp_path / 'st2.pth')
    out = tmp_path / 'out'
    main([str(cam_cfg), '--checkpoint', str(tmp_path / 'cam.pth'), '--out', str(out), '--limit', '3',
          '--scales', '0.6', '--steps', 'cams,seeds,crossimage,selftrain,report', '--stage2-config', str(st2_cfg),
          '--stage2-checkpoint', str(tmp_path / 'st2.pth'), '--figures', str(tmp_path / 'fig'),
          '--section', 'tags-test', '--cross-image', '{"rounds": 2}'])
    results = json.loads((out / 'results.json').read_text())['masks']
    assert {'stage1', 'seeds', 'crossimage', 'stage2', 'selftrain'} <= set(results)
    for name in ('seeds', 'crossimage', 'stage2', 'selftrain'):
        masks = sorted((out / 'masks' / name).glob('*.png'))
        assert len(masks) == 3, name
        assert 0 <= results[name]['mIoU'] <= 100
    for png in [*(out / 'masks' / 'selftrain').glob('*.png'), *(out / 'masks' / 'crossimage').glob('*.png')]:
        tags = np.load(out / 'cams' / f'{png.stem}.npz')['tags']
        mask = read_mask(png)
        assert set(np.unique(mask)) <= set(tags.tolist()) | {255}, png   # only the image's own tags
    assert (tmp_path / 'fig' / 'tags_test_pseudo_masks.png').is_file()


def test_bench_tags_names_an_unknown_cross_image_option(shared_data, tmp_path):
    cam_cfg = tmp_path / 'cam.py'
    cam_cfg.write_text(f"_base_ = ['{REPO / 'configs/cam/msrc21_tags_cam.py'}']\n"
                       f"train_dataloader = dict(dataset=dict(data_root='{shared_data / 'msrc21'}'))\n")
    with pytest.raises(SystemExit, match="unknown keys \\['round'\\]"):
        main([str(cam_cfg), '--checkpoint', str(tmp_path / 'none.pth'), '--out', str(tmp_path / 'out'),
              '--limit', '2', '--steps', 'crossimage', '--cross-image', '{"round": 3}'])


def test_bench_tags_self_training_from_an_mmseg_network(shared_data, tmp_path):
    """One self-training round from the mmseg DeepLabV3+ second stage (random weights here): its
    own argmax, its argmax over the tags and the seeds where they agree land in folders named after
    the network, and the report scores them."""
    pytest.importorskip('mmcv.ops', reason='mmcv with compiled ops is built by tools/setup_env.sh')
    from mmengine.registry import DefaultScope
    from mmseg.registry import MODELS as MMSEG_MODELS

    from wsseg.stage2 import prepare_mmseg
    register_all_modules()
    cam_cfg = tmp_path / 'cam.py'
    cam_cfg.write_text(f"_base_ = ['{REPO / 'configs/cam/msrc21_tags_cam.py'}']\n"
                       f"train_dataloader = dict(dataset=dict(data_root='{shared_data / 'msrc21'}'))\n")
    torch.manual_seed(0)
    torch.save(MODELS.build(Config.fromfile(str(cam_cfg)).model).state_dict(), tmp_path / 'cam.pth')
    prepare_mmseg()
    st2_cfg = Config.fromfile(str(REPO / 'configs/stage2/msrc21_pseudo.py'))
    with DefaultScope.overwrite_default_scope('mmseg'):
        torch.save(dict(state_dict=MMSEG_MODELS.build(st2_cfg.model).state_dict()), tmp_path / 'dl.pth')
    out = tmp_path / 'out'
    main([str(cam_cfg), '--checkpoint', str(tmp_path / 'cam.pth'), '--out', str(out), '--limit', '2',
          '--scales', '0.6', '--steps', 'cams,seeds,selftrain,report', '--stage2-config',
          str(REPO / 'configs/stage2/msrc21_pseudo.py'), '--stage2-checkpoint', str(tmp_path / 'dl.pth'),
          '--selftrain-name', 'dl', '--agree-with', 'seeds', '--figures', str(tmp_path / 'fig'),
          '--section', 'tags-test'])
    results = json.loads((out / 'results.json').read_text())['masks']
    assert {'stage2_dl', 'selftrain_dl', 'agree_dl'} <= set(results)
    assert not (out / 'masks' / 'selftrain').exists()
    for png in (out / 'masks' / 'selftrain_dl').glob('*.png'):
        tags = np.load(out / 'cams' / f'{png.stem}.npz')['tags']
        mask = read_mask(png)
        assert mask.shape == read_mask(shared_data / 'msrc21' / 'masks' / 'train' / png.name).shape
        assert set(np.unique(mask)) <= set(tags.tolist()), png
        seeds, agree = read_mask(out / 'masks' / 'seeds' / png.name), read_mask(out / 'masks' / 'agree_dl' / png.name)
        same = seeds == mask
        assert (agree[same] == seeds[same]).all() and (agree[~same] == 255).all(), png
    assert len(list((out / 'masks' / 'stage2_dl').glob('*.png'))) == 2
    MODELS.build(Config.fromfile(str(cam_cfg)).model)   # the mmseg scope did not leak into wsseg's builds
    assert (tmp_path / 'fig' / 'tags_test_self_training.png').is_file()
