"""Second stage on mmsegmentation: DeepLabV3+ and Mask2Former train on a mask folder with
255 = unlabelled (partial CE for free), switching network by one config line."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config

from wsseg.datasets.synthetic import make_scenes
from wsseg.utils.io import read_mask, write_png_atomic

pytest.importorskip('mmcv.ops', reason='mmcv with compiled ops is built by tools/setup_env.sh')
REPO = Path(__file__).resolve().parents[1]
CLASSES = ('background', 'disc', 'square', 'triangle', 'stripes')


@pytest.fixture(scope='module')
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp('stage2')
    make_scenes(root, splits={'train': 6, 'val': 2}, size=(64, 64), seed=1, classes=CLASSES)
    # sparse "pseudo-masks": keep 10% of pixels, 255 elsewhere
    rng = np.random.default_rng(0)
    for p in sorted((root / 'masks' / 'train').glob('*.png')):
        m = read_mask(p)
        m[rng.random(m.shape) > 0.1] = 255
        write_png_atomic(root / 'sparse' / p.name, m)
    return root


def stage2_cfg(folder: Path, work: Path, model_file: str, iters: int = 3) -> Path:
    configs = work.parent / f'{work.name}_configs'
    shutil.copytree(REPO / 'configs/stage2', configs, dirs_exist_ok=True)
    text = (configs / 'camvid_pseudo.py').read_text()
    assert "'_base_/deeplabv3plus_r18.py'" in text       # the one line that picks the network
    (configs / 'camvid_pseudo.py').write_text(
        text.replace("'_base_/deeplabv3plus_r18.py'", f"'_base_/{model_file}'"))
    cfg = Config.fromfile(str(configs / 'camvid_pseudo.py'))
    cfg.work_dir = str(work)
    for key, mask_dir in (('train_dataloader', str(folder / 'sparse')), ('val_dataloader', 'masks/val')):
        ds = cfg[key].dataset
        ds.data_root = str(folder)
        ds.metainfo = dict(classes=CLASSES)
        ds.img_suffix = '.png'
        ds.data_prefix = dict(img_path=f"images/{'train' if key.startswith('train') else 'val'}",
                              seg_map_path=mask_dir)
    cfg.train_dataloader.batch_size = 2
    cfg.train_dataloader.num_workers = cfg.val_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = cfg.val_dataloader.persistent_workers = False
    cfg.train_dataloader.dataset.pipeline[2].crop_size = (64, 64)
    cfg.model.decode_head.num_classes = len(CLASSES)
    if 'class_weight' in cfg.model.decode_head.get('loss_cls', {}):
        cfg.model.decode_head.loss_cls.class_weight = [1.0] * len(CLASSES) + [0.1]
        cfg.model.decode_head.num_queries = 10
        cfg.model.decode_head.train_cfg.num_points = 256
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters, val_interval=iters)
    cfg.default_hooks.checkpoint.interval = iters
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.pop('visualization')
    out = work.parent / f'{work.name}_cfg.py'
    cfg.dump(str(out))
    return out


@pytest.mark.parametrize('model_file', ['deeplabv3plus_r18.py', 'mask2former_r50.py'])
def test_stage2_trains_on_sparse_masks(folder, tmp_path, model_file):
    from tools.train import build_runner, parse_args
    work = tmp_path / model_file.split('_')[0]
    cfg = stage2_cfg(folder, work, model_file)
    runner = build_runner(parse_args([str(cfg), '--work-dir', str(work)]))
    runner.train()
    assert (work / 'iter_3.pth').is_file()
    recs = [json.loads(line) for f in work.glob('*/vis_data/scalars.json') for line in f.read_text().splitlines()]
    losses = [r['loss'] for r in recs if 'loss' in r]
    assert len(losses) == 3 and all(np.isfinite(losses))
    assert any('mIoU' in r for r in recs)


def test_stage2_resumes(folder, tmp_path):
    from tools.train import build_runner, parse_args
    work = tmp_path / 'dl'
    cfg = stage2_cfg(folder, work, 'deeplabv3plus_r18.py', iters=2)
    build_runner(parse_args([str(cfg), '--work-dir', str(work)])).train()
    cfg = stage2_cfg(folder, work, 'deeplabv3plus_r18.py', iters=4)
    runner = build_runner(parse_args([str(cfg), '--work-dir', str(work), '--resume']))
    runner.train()
    assert runner.iter == 4


def test_trained_stage2_predicts_logits_for_self_training(folder, tmp_path):
    """The mmseg network tools/train.py wrote, loaded back as a predictor: full-size logits whose
    argmax is mmseg's own prediction, and a flip average that is mirror-symmetric. A missing file
    or one of another head is an error naming the file."""
    import torch
    from mmseg.apis import inference_model

    from tools.train import build_runner, parse_args
    from wsseg.stage2.predict import load_mmseg_segmentor, mmseg_logits
    from wsseg.utils.io import read_image
    work = tmp_path / 'dl'
    cfg = stage2_cfg(folder, work, 'deeplabv3plus_r18.py', iters=2)
    build_runner(parse_args([str(cfg), '--work-dir', str(work)])).train()
    with pytest.raises(FileNotFoundError, match='iter_9.pth'):
        load_mmseg_segmentor(str(cfg), work / 'iter_9.pth')
    other = Config.fromfile(str(cfg))
    other.model.decode_head.num_classes = 7                  # another head: must not load silently
    with pytest.raises(FileNotFoundError, match=r'iter_2.pth: stage-2 checkpoint does not fit.*shape mismatches 2'):
        load_mmseg_segmentor(other, work / 'iter_2.pth')
    net = load_mmseg_segmentor(str(cfg), work / 'iter_2.pth', device='cpu')
    img = sorted((folder / 'images' / 'train').glob('*.png'))[0]
    plain = mmseg_logits(net, img, flip=False)
    assert plain.shape == (len(CLASSES), 64, 64)
    own = inference_model(net, np.ascontiguousarray(read_image(img)[..., ::-1])).pred_sem_seg.data[0]
    assert torch.equal(plain.argmax(0), own)
    mirrored = tmp_path / 'mirrored.png'
    write_png_atomic(mirrored, np.ascontiguousarray(read_image(img)[:, ::-1]))
    both = mmseg_logits(net, img)
    assert torch.allclose(mmseg_logits(net, mirrored), both.flip(-1), atol=1e-4)
    assert not torch.allclose(both, plain, atol=1e-4)
