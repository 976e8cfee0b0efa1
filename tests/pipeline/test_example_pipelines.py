"""The example pipelines of configs/pipelines, end to end with a few iterations per training:
CamVid on the real data (a subset), VOC on the real voc_mini sample with generated scribbles
and a small random-weight SAM. Their mmseg second stage needs the compiled mmcv."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config

from wsseg.pipeline import run_pipeline
from wsseg.utils.io import read_mask, write_png_atomic
from wsseg.weak import simulate_scribbles

from .conftest import tiny_schedule

pytest.importorskip('mmcv.ops', reason='mmcv with compiled ops is built by tools/setup_env.sh')
REPO = Path(__file__).resolve().parents[2]
SMALL_SAM = dict(type='small', image_size=128, patch_size=8, encoder_dim=64, encoder_depth=2,
                 prompt_dim=32, seed=0)


def check_outputs(work: Path, recs: dict, n_images: int) -> None:
    assert [r['status'] for r in recs.values()] == ['done'] * 5
    masks = list((work / 'pseudo_labels/masks').glob('*.png'))
    assert len(masks) == n_images
    q = json.loads((work / 'quality/metrics.json').read_text())
    assert q['num_images'] == n_images and 0 <= q['mIoU'] <= 100
    assert (work / 'quality/confusion.png').is_file() and (work / 'quality/overlays.png').is_file()
    ev = recs['evaluate']['outputs']['metrics']
    assert 0 <= ev['mIoU'] <= 100 and 'aAcc' in ev


def test_camvid_scribbles_rloss_deeplab_on_real_data(shared_data, tmp_path):
    cfg = Config.fromfile(str(REPO / 'configs/pipelines/camvid_scribbles_rloss_deeplab.py'))
    n = 6
    cfg.data_root = str(shared_data / 'camvid')            # as --cfg-options data_root=... does
    for ds in (cfg.weak_labels.dataset, cfg.pseudo_labels.dataset):
        ds.indices = n
    cfg.pseudo_labels.train.cfg_options.update(tiny_schedule(3, extra={
        'train_dataloader.dataset.indices': n, 'val_dataloader.dataset.indices': 2}))
    cfg.stage2.cfg_options.update(tiny_schedule(2, extra={
        'train_dataloader.dataset.indices': n, 'val_dataloader.dataset.indices': 2}))
    cfg.evaluate = dict(cfg_options={'test_dataloader.dataset.indices': 2,
                                     'test_dataloader.num_workers': 0,
                                     'test_dataloader.persistent_workers': False})
    recs = run_pipeline(cfg, tmp_path / 'work')
    check_outputs(tmp_path / 'work', recs, n)
    stats = recs['weak_labels']['outputs']['metrics']
    assert 0.02 < stats['labelled_fraction_mean'] < 0.05        # 3% scribbles
    # the pseudo-masks keep every scribble pixel (keep_weak)
    from wsseg.weak import load_weak_labels
    for m in (tmp_path / 'work/pseudo_labels/masks').glob('*.png'):
        scr = load_weak_labels(tmp_path / 'work/weak_labels/labels', m.stem).scribbles
        mask = read_mask(m)
        assert np.array_equal(mask[scr != 255], scr[scr != 255])


@pytest.fixture
def voc_fixture(shared_data, tmp_path) -> Path:
    """voc_mini in the official layout, plus what a user adds: SegmentationClassAug, rasterised
    ScribbleSup PNGs (simulated from the masks here) and train_aug / val lists."""
    root = tmp_path / 'VOC2012'
    shutil.copytree(shared_data / 'voc_mini/VOCdevkit/VOC2012', root)
    shutil.copytree(root / 'SegmentationClass', root / 'SegmentationClassAug')
    train = sorted(p.stem for p in (root / 'Annotations').glob('*.xml'))
    rng = np.random.default_rng(0)
    for i in train:
        mask = read_mask(root / 'SegmentationClass' / f'{i}.png')
        write_png_atomic(root / 'scribbles' / f'{i}.png', simulate_scribbles(mask, 0.03, rng))
    lists = root / 'ImageSets/Segmentation'
    (lists / 'train_aug.txt').write_text('\n'.join(train) + '\n')
    (lists / 'val.txt').write_text('2007_000129\n2007_000063\n')
    return root


def test_voc_boxes_scribbles_sam_m2f_on_the_fixture(voc_fixture, tmp_path):
    cfg = Config.fromfile(str(REPO / 'configs/pipelines/voc_boxes_scribbles_sam_m2f.py'))
    cfg.voc_root = str(voc_fixture)                        # as --cfg-options voc_root=... does
    lab = cfg.pseudo_labels.labeller
    lab['sam'] = dict(SMALL_SAM)            # item assignment replaces (ConfigDict.update merges)
    lab.update(finetune_epochs=2, loss_size=64, cache_dir=str(tmp_path / 'cache'))
    cfg.stage2.cfg_options.update(tiny_schedule(2, batch=2, extra={
        'train_dataloader.dataset.pipeline.2.scale': (128, 128), 'crop_size': (96, 96),
        'train_dataloader.dataset.pipeline.3.crop_size': (96, 96),
        'val_dataloader.dataset.pipeline.1.scale': (128, 128),
        'test_dataloader.dataset.pipeline.1.scale': (128, 128),
        'model.decode_head.num_queries': 10}))
    cfg.evaluate = dict(cfg_options={'test_dataloader.num_workers': 0,
                                     'test_dataloader.persistent_workers': False})
    recs = run_pipeline(cfg, tmp_path / 'work')
    check_outputs(tmp_path / 'work', recs, 4)
    stats = recs['weak_labels']['outputs']['metrics']
    assert stats['boxes'] >= 4 and stats['labelled_fraction_mean'] > 0     # read, not simulated
    weak = json.loads((tmp_path / 'work/weak_labels/labels/2007_000063.json').read_text())
    assert weak['box_labels'] and weak['scribbles'] == '2007_000063_scribbles.png'


@pytest.fixture
def seagrass_frames(tmp_path) -> Path:
    """Synthetic seagrass frames in the DeepSeagrass class-folder layout, with pixel truth."""
    from wsseg.datasets.synthetic import make_seagrass_frames
    root = tmp_path / 'seagrass'
    for split, n, seed in (('train', 8, 0), ('test', 4, 1)):
        make_seagrass_frames(root / split, n, patch=(16, 20), seed=seed)
    return root


def test_deepseagrass_ensemble_on_synthetic_frames(seagrass_frames, tmp_path):
    import subprocess
    import sys
    from wsseg.patch.runs import short_run_options
    simclr = tmp_path / 'simclr.pth'
    subprocess.run([sys.executable, str(REPO / 'tools/pretrain_simclr.py'), str(seagrass_frames / 'train/frames'),
                    '--out', str(simclr), '--epochs', '1', '--size', '32', '--batch-size', '8'],
                   check=True, cwd=REPO)
    cfg = Config.fromfile(str(REPO / 'configs/pipelines/deepseagrass_ensemble.py'))
    cfg.data_root, cfg.simclr_checkpoint = str(seagrass_frames), str(simclr)
    seafeats, seaclip = cfg.pseudo_labels.train
    seafeats.cfg_options.update(short_run_options(1, batch_size=4))
    # no CLIP weights exist here: the random-weight tiny CLIP variant, allowed explicitly
    seaclip['config'] = 'configs/seaclip/seaclip_random_clip_synth.py'
    seaclip['cfg_options'] = short_run_options(1, batch_size=4)
    cfg.stage2.cfg_options.update(tiny_schedule(2, extra={'train_dataloader.dataset.pipeline.2.size': (64, 64)}))
    cfg.evaluate = dict(cfg_options={'test_dataloader.num_workers': 0})
    recs = run_pipeline(cfg, tmp_path / 'work')
    check_outputs(tmp_path / 'work', recs, 8)
    assert recs['weak_labels']['outputs']['metrics']['tags'] == 8        # one image label per frame
    assert {Path(p).name for p in recs['pseudo_labels']['outputs']['checkpoints'].values()} == \
        {'seafeats.pth', 'seaclip.pth'}
    mask = read_mask(next((tmp_path / 'work/pseudo_labels/masks').glob('*.png')))
    assert mask.shape == (5 * 16, 8 * 20) and set(np.unique(mask)) <= {0, 1, 2, 3}
