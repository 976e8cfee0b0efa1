"""Evaluation with ``bad_data='skip'`` scores exactly the readable images: an unreadable image
of the val or test split is left out (not replaced by another image of the split, which was
then scored twice), the metric is that of the other images, and the skipped file is listed in
a report beside the metrics and in the printed summary, with the count of images scored.
Val during training, tools/test.py and tools/eval_masks.py."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.reliability.tiny import dump, tiny_cfg
from tools.eval_masks import main as eval_masks_main
from tools.test import main as evaluate_main
from tools.train import main as train_main
from wsseg.datasets.synthetic import make_scenes
from wsseg.utils.io import DataError, write_png_atomic

N_VAL = 5


@pytest.fixture(scope='module')
def run(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp('evalskip')
    make_scenes(root / 'data', splits={'train': 4, 'val': N_VAL}, size=(24, 24), seed=7)
    shutil.copytree(root / 'data', root / 'clean')
    bad = sorted((root / 'data' / 'images' / 'val').glob('*.png'))[2]
    bad.write_bytes(bad.read_bytes()[:60])                             # truncated mid-stream
    (root / 'clean' / 'images' / 'val' / bad.name).unlink()            # the same split without it
    (root / 'clean' / 'masks' / 'val' / bad.name).unlink()
    cfgs = {}
    for name in ('data', 'clean'):
        cfg = tiny_cfg(root / name, root / 'w', iters=2, ckpt_every=2)
        cfg.val_dataloader.batch_size = 2                  # the bad image shares a batch
        cfg.val_dataloader.dataset.bad_data = 'skip'
        cfg.test_dataloader = cfg.val_dataloader
        cfgs[name] = dump(cfg, root / f'{name}.py')
    train_main([str(cfgs['data']), '--work-dir', str(root / 'w')])    # validates after iteration 2
    ckpt = root / 'w' / 'iter_2.pth'
    clean = evaluate_main([str(cfgs['clean']), str(ckpt), '--work-dir', str(root / 'c')])
    return dict(root=root, cfgs=cfgs, bad=str(bad), ckpt=ckpt, clean=clean)


def _val_record(work_dir: Path) -> dict:
    recs = [json.loads(x) for f in work_dir.glob('*/vis_data/scalars.json')
            for x in f.read_text().splitlines()]
    return next(r for r in recs if 'mIoU' in r)


def test_tools_test_scores_the_readable_images_only(run, tmp_path, capsys):
    clean = run['clean']
    capsys.readouterr()
    got = evaluate_main([str(run['cfgs']['data']), str(run['ckpt']), '--work-dir', str(tmp_path / 'd')])
    printed = capsys.readouterr().out
    assert got['images_scored'] == N_VAL - 1 and got['images_skipped'] == 1
    assert {k: v for k, v in got.items() if not k.startswith('images_')} == \
        {k: v for k, v in clean.items() if not k.startswith('images_')}
    assert clean['images_scored'] == N_VAL - 1 and clean['images_skipped'] == 0
    report = json.loads(next((tmp_path / 'd').glob('*/test_skipped_images.json')).read_text())
    assert report['images'] == N_VAL and report['scored'] == N_VAL - 1
    assert [s['file'] for s in report['skipped']] == [run['bad']]
    assert 'corrupt' in report['skipped'][0]['error']
    assert f'scored {N_VAL - 1} of {N_VAL} images' in printed and run['bad'] in printed


def test_val_during_training_scores_the_readable_images_only(run, tmp_path):
    val = _val_record(run['root'] / 'w')
    clean = run['clean']
    assert val['images_scored'] == N_VAL - 1 and val['images_skipped'] == 1
    assert val['mIoU'] == pytest.approx(clean['mIoU'], abs=1e-4)      # scalars.json rounds
    report = json.loads(next((run['root'] / 'w').glob('*/val_skipped_images.json')).read_text())
    assert [s['file'] for s in report['skipped']] == [run['bad']]


def test_eval_masks_skips_unreadable_masks(tmp_path, capsys):
    pred, gt = tmp_path / 'pred', tmp_path / 'gt'
    rng = np.random.default_rng(0)
    for i in range(4):
        g = rng.integers(0, 3, (8, 8)).astype(np.uint8)
        p = np.where(rng.random((8, 8)) < 0.7, g, rng.integers(0, 3, (8, 8))).astype(np.uint8)
        write_png_atomic(gt / f'{i}.png', g)
        write_png_atomic(pred / f'{i}.png', p)
    shutil.copytree(pred, tmp_path / 'p3')
    shutil.copytree(gt, tmp_path / 'g3')
    (tmp_path / 'p3' / '2.png').unlink()
    (tmp_path / 'g3' / '2.png').unlink()
    three = eval_masks_main([str(tmp_path / 'p3'), str(tmp_path / 'g3'), '--num-classes', '3',
                             '--out', str(tmp_path / 'e3'), '--no-progress'])
    (pred / '2.png').write_bytes((pred / '2.png').read_bytes()[:40])      # truncated prediction
    with pytest.raises(DataError, match=r'2\.png: corrupt'):
        eval_masks_main([str(pred), str(gt), '--num-classes', '3', '--out', str(tmp_path / 'e1'),
                         '--no-progress'])
    capsys.readouterr()
    got = eval_masks_main([str(pred), str(gt), '--num-classes', '3', '--out', str(tmp_path / 'e2'),
                           '--no-progress', '--bad-data', 'skip'])
    printed = capsys.readouterr().out
    assert got['num_images'] == 3 and got['per_class'] == three['per_class']
    assert [s['file'] for s in got['skipped_bad']] == [str(pred / '2.png')]
    on_disk = json.loads((tmp_path / 'e2' / 'metrics.json').read_text())
    assert on_disk['skipped_bad'] == got['skipped_bad'] and on_disk['num_images'] == 3
    assert f"skipped (bad data): {pred / '2.png'}" in printed and '(3 images' in printed


@pytest.mark.parametrize('metric_type', ['SegIoUMetric', 'PatchMetric'])
def test_a_skipped_image_adds_nothing_to_either_wsseg_metric(metric_type):
    """The loops pad a metric's results with one neutral entry per skipped image (mmengine cuts
    a padded distributed sampler's results by count); both wsseg metrics must score as if the
    entry were not there."""
    from wsseg.engine.loops import _neutral_result
    from wsseg.registry import METRICS
    keys = ('pred', 'gt') if metric_type == 'SegIoUMetric' else ('pred_label', 'gt_label')
    rng = np.random.default_rng(0)
    samples = [dict(zip(keys, rng.integers(0, 3, (2, 4, 4)))) for _ in range(3)]
    scores = []
    for pad in (False, True):
        metric = METRICS.build(dict(type=metric_type, num_classes=3))
        metric.process({}, samples[:2])
        if pad:
            entry = _neutral_result(metric)
            assert entry is not None, f'{metric_type} gets no neutral entry for a skipped image'
            metric.results.extend(entry)
        metric.process({}, samples[2:])
        scores.append(metric.compute_metrics(metric.results))
    assert scores[0] == scores[1]
