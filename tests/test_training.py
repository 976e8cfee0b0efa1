"""Training through mmengine's Runner: the loss falls, training resumes, test evaluates,
a NaN loss stops with names. (A missing checkpoint: tests/reliability/test_bad_inputs.py.)"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

from wsseg.datasets.synthetic import make_scenes

REPO = Path(__file__).resolve().parents[1]
CLASSES = ('background', 'disc', 'square', 'triangle', 'stripes')


@pytest.fixture(scope='module')
def scenes(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp('scenes')
    make_scenes(root, splits={'train': 12, 'val': 4}, size=(64, 64), seed=3, classes=CLASSES)
    return root


def small_cfg(data_root: Path, work_dir: Path, iters: int, target: str = 'gt') -> Config:
    cfg = Config.fromfile(str(REPO / 'configs/demo/scenes_scribbles.py'))
    cfg.work_dir = str(work_dir)
    for d in (cfg.train_dataloader.dataset, cfg.val_dataloader.dataset, cfg.test_dataloader.dataset):
        d.data_root = str(data_root)
    cfg.train_dataloader.batch_size = 4
    cfg.train_dataloader.dataset.pipeline[-1].target = target
    cfg.model.net.aspp_channels = 32
    cfg.train_cfg.max_iters = cfg.train_cfg.val_interval = iters
    cfg.param_scheduler[0].end = iters
    cfg.default_hooks.checkpoint.interval = max(1, iters // 2)
    cfg.default_hooks.logger.interval = 1
    cfg.log_processor = dict(by_epoch=False, window_size=1)
    return cfg


def losses_of(work_dir: Path) -> list[float]:
    recs = []
    for f in sorted(work_dir.glob('*/vis_data/scalars.json')):
        recs += [json.loads(line) for line in f.read_text().splitlines()]
    return [r['loss'] for r in recs if 'loss' in r]


def test_loss_falls_and_val_runs(scenes, tmp_path):
    from mmengine.runner import Runner
    cfg = small_cfg(scenes, tmp_path / 'w', iters=30)
    runner = Runner.from_cfg(cfg)
    runner.train()
    losses = losses_of(tmp_path / 'w')
    assert len(losses) == 30
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5]), losses
    metrics = runner.val_loop.run()
    assert 0.0 <= metrics['mIoU'] <= 100.0


def test_resume_continues_from_checkpoint(scenes, tmp_path):
    from tools.train import build_runner, parse_args
    work = tmp_path / 'r'
    cfg_path = tmp_path / 'cfg.py'
    small_cfg(scenes, work, iters=4).dump(str(cfg_path))
    build_runner(parse_args([str(cfg_path), '--work-dir', str(work)])).train()
    assert (work / 'iter_4.pth').is_file()
    # a longer schedule, resumed: starts at iteration 4, not 0
    cfg = small_cfg(scenes, work, iters=6)
    cfg.dump(str(cfg_path))
    runner = build_runner(parse_args([str(cfg_path), '--work-dir', str(work), '--resume']))
    runner.train()
    assert runner.iter == 6
    ckpt = torch.load(work / 'iter_6.pth', map_location='cpu', weights_only=True)
    assert ckpt['meta']['iter'] == 6


def test_tools_test_evaluates_a_checkpoint(scenes, tmp_path):
    from tools.test import main as test_main
    from tools.train import main as train_main
    cfg_path = tmp_path / 'cfg.py'
    small_cfg(scenes, tmp_path / 'w', iters=2).dump(str(cfg_path))
    train_main([str(cfg_path), '--work-dir', str(tmp_path / 'w')])
    metrics = test_main([str(cfg_path), str(tmp_path / 'w' / 'iter_2.pth'), '--work-dir', str(tmp_path / 't')])
    assert 'mIoU' in metrics


def test_nan_loss_names_iteration_and_files(scenes, tmp_path):
    from wsseg.registry import DATASETS, MODELS
    cfg = small_cfg(scenes, tmp_path / 'w', iters=1)
    model = MODELS.build(cfg.model)
    ds = DATASETS.build(cfg.train_dataloader.dataset)
    items = [ds[0], ds[1]]   # two images: BatchNorm needs more than one value per channel
    data = model.data_preprocessor(dict(inputs=[i['inputs'] for i in items],
                                        data_samples=[i['data_samples'] for i in items]))
    with torch.no_grad():
        model.net.classifier.bias.fill_(float('nan'))
    model.iteration = 17
    with pytest.raises(FloatingPointError, match=r'iteration 17.*' + Path(items[0]['data_samples'].img_path).name):
        model(**data, mode='loss')
