"""The two metric implementations agree on real CamVid predictions: the second stage's mmseg
evaluation (``IoUMetric`` of ``configs/stage2/camvid_pseudo.py``, ground truth loaded by its
test pipeline) and ``tools/eval_masks.py`` (the same predictions written as PNGs, scored
against the CamVid mask files) give the same per-class IoU, class by class (to float
tolerance, NaN for a class in neither). The predictions are those of the stage-2 DeepLabV3+
R18 after a few training iterations on CamVid's true masks (random init: no weights here), so
several classes are predicted. Slow (a short training and the 101 val images)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config

pytest.importorskip('mmcv.ops', reason='mmcv with compiled ops is built by tools/setup_env.sh')
REPO = Path(__file__).resolve().parents[2]
ITERS = 10


@pytest.mark.slow
def test_mmseg_iou_equals_eval_masks_per_class(shared_data, tmp_path):
    from tools.eval_masks import main as eval_masks_main
    from tools.train import main as train_main
    from wsseg.registry import RUNNERS
    from wsseg.stage2 import prepare_mmseg

    camvid = shared_data / 'camvid'
    if not (camvid / 'images' / 'val').is_dir():
        pytest.skip(f'CamVid not found under {camvid}')
    cfg = Config.fromfile(str(REPO / 'configs/stage2/camvid_pseudo.py'))
    cfg.work_dir = str(tmp_path / 'w')
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].dataset.data_root = str(camvid)
        cfg[key].num_workers, cfg[key].persistent_workers = 0, False
    cfg.train_dataloader.batch_size = 4
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=ITERS, val_interval=10 * ITERS)
    cfg.param_scheduler[0]['end'] = ITERS
    cfg.default_hooks.checkpoint.interval = ITERS
    cfg.default_hooks.logger.interval = ITERS
    cfg.default_hooks.pop('visualization')
    path = tmp_path / 'cfg.py'
    cfg.dump(str(path))
    train_main([str(path), '--work-dir', cfg.work_dir])

    # the second stage's own evaluation, writing each prediction as a PNG on the way
    pred_dir = tmp_path / 'pred'
    cfg = Config.fromfile(str(path))
    cfg.load_from = str(tmp_path / 'w' / f'iter_{ITERS}.pth')
    cfg.test_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'], output_dir=str(pred_dir))
    prepare_mmseg()
    runner = RUNNERS.build(cfg)
    runner._test_loop = runner.build_test_loop(runner._test_loop)    # what test() does first
    metric = runner.test_evaluator.metrics[0]
    seen: list = []
    compute = metric.compute_metrics
    metric.compute_metrics = lambda results: (seen.append(list(results)), compute(results))[1]
    summary = runner.test()
    areas = [sum(r[i] for r in seen[0]) for i in range(4)]      # intersect, union, pred, label
    mm = np.asarray(metric.total_area_to_metrics(*areas, ['mIoU'])['IoU'], np.float64)
    classes = list(cfg.test_dataloader.dataset.metainfo['classes'])
    assert len(list(pred_dir.glob('*.png'))) == len(seen[0]) == 101

    ours = eval_masks_main([str(pred_dir), str(camvid / 'masks' / 'val'), '--classes', ','.join(classes),
                            '--out', str(tmp_path / 'eval'), '--no-progress'])
    iou = np.array([np.nan if ours['per_class'][c]['IoU'] is None else ours['per_class'][c]['IoU']
                    for c in classes])
    assert (~np.isnan(iou)).sum() >= 3 and np.nanmax(iou) > 0, 'too few classes predicted to compare'
    np.testing.assert_allclose(iou, 100 * mm, rtol=0, atol=1e-4, equal_nan=True)
    assert ours['mIoU'] == pytest.approx(summary['mIoU'], abs=0.01)       # mmseg rounds to 0.01
    assert ours['num_images'] == 101
