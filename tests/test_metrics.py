"""Confusion matrix, scores, SegIoUMetric, PatchMetric and plots against hand-computed values."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

from wsseg.evaluation import PatchMetric, SegIoUMetric, confusion_matrix, scores_from_confusion
from wsseg.registry import METRICS
from wsseg.visualization import colorize, overlay, plot_confusion, plot_curves, save_overlay_grid

# gt / pred used throughout; the 255 in gt is not scored. Scored (gt, pred) pairs:
# (0,0) (0,1) (1,1) (1,2) (2,2) -> cm = [[1,1,0],[0,1,1],[0,0,1]]
GT = np.array([[0, 0, 1], [1, 2, 255]], np.uint8)
PRED = np.array([[0, 1, 1], [2, 2, 0]], np.uint8)
# by hand: IoU = tp / (gt + pred - tp): c0 1/(2+1-1), c1 1/(2+2-1), c2 1/(1+2-1)
IOU = [1 / 2, 1 / 3, 1 / 2]
F1 = [2 / 3, 1 / 2, 2 / 3]          # 2tp / (gt + pred)


def assert_valid_png(path):
    assert path.is_file() and path.stat().st_size > 0
    with Image.open(path) as im:
        im.verify()
    with Image.open(path) as im:
        assert im.format == 'PNG' and im.size[0] > 50 and im.size[1] > 50


# ------------------------------------------------------------------ confusion + scores
def test_confusion_matrix_by_hand():
    cm = confusion_matrix(PRED, GT, 3)
    assert cm.dtype == np.int64
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 1], [0, 0, 1]])


def test_scores_by_hand():
    s = scores_from_confusion(confusion_matrix(PRED, GT, 3))
    np.testing.assert_allclose(s['IoU'], IOU)
    assert s['mIoU'] == pytest.approx(sum(IOU) / 3)
    assert s['aAcc'] == pytest.approx(3 / 5)
    np.testing.assert_allclose(s['Recall'], [1 / 2, 1 / 2, 1])
    np.testing.assert_allclose(s['Acc'], [1 / 2, 1 / 2, 1])
    assert s['mAcc'] == pytest.approx(2 / 3)
    np.testing.assert_allclose(s['Precision'], [1, 1 / 2, 1 / 2])
    np.testing.assert_allclose(s['F1'], F1)
    assert s['macro_F1'] == pytest.approx(sum(F1) / 3)
    assert s['weighted_F1'] == pytest.approx((2 * F1[0] + 2 * F1[1] + 1 * F1[2]) / 5)
    assert s['micro_F1'] == pytest.approx(s['aAcc'])
    np.testing.assert_array_equal(s['support'], [2, 2, 1])


def test_absent_class_is_nan_and_excluded():
    s = scores_from_confusion(confusion_matrix(PRED, GT, 4))       # class 3: no gt, no pred
    assert np.isnan(s['IoU'][3]) and np.isnan(s['F1'][3]) and np.isnan(s['Recall'][3])
    assert s['mIoU'] == pytest.approx(sum(IOU) / 3)
    assert s['macro_F1'] == pytest.approx(sum(F1) / 3)
    # a class with ground truth but never predicted counts with IoU 0
    s = scores_from_confusion(confusion_matrix(np.zeros(4, int), np.array([0, 0, 1, 1]), 2))
    np.testing.assert_allclose(s['IoU'], [0.5, 0.0])
    assert s['mIoU'] == pytest.approx(0.25)
    assert np.isnan(s['Precision'][1]) and s['F1'][1] == 0


def test_ignore_index_in_gt_and_pred():
    gt = np.array([0, 1, 255, 1])
    pred = np.array([0, 255, 1, 1])      # pred 255 = undecided: not scored
    np.testing.assert_array_equal(confusion_matrix(pred, gt, 2), [[1, 0], [0, 1]])
    # a different ignore index
    np.testing.assert_array_equal(confusion_matrix(np.array([0, 1]), np.array([0, 9]), 2, ignore_index=9),
                                  [[1, 0], [0, 0]])


def test_torch_input_equals_numpy():
    cm = confusion_matrix(torch.from_numpy(PRED).long(), torch.from_numpy(GT).long(), 3)
    np.testing.assert_array_equal(cm, confusion_matrix(PRED, GT, 3))


def test_bad_inputs():
    with pytest.raises(ValueError, match='shape'):
        confusion_matrix(np.zeros((2, 2)), np.zeros((2, 3)), 2)
    with pytest.raises(ValueError, match=r'prediction values \[5\]'):
        confusion_matrix(np.array([5, 0]), np.array([0, 0]), 2)
    with pytest.raises(ValueError, match=r'ground truth values \[7\]'):
        confusion_matrix(np.array([0, 0]), np.array([7, 0]), 2)
    with pytest.raises(ValueError, match='square'):
        scores_from_confusion(np.zeros((2, 3)))
    assert np.isnan(scores_from_confusion(np.zeros((2, 2)))['mIoU'])


def test_accumulation_equals_one_shot():
    rng = np.random.default_rng(0)
    gt = rng.integers(0, 5, (6, 20, 30))
    gt[rng.random(gt.shape) < 0.1] = 255
    pred = np.where(rng.random(gt.shape) < 0.7, np.where(gt == 255, 0, gt), rng.integers(0, 5, gt.shape))
    acc = sum(confusion_matrix(p, g, 5) for p, g in zip(pred, gt))
    np.testing.assert_array_equal(acc, confusion_matrix(pred, gt, 5))
    assert acc.sum() == (gt != 255).sum()


# ------------------------------------------------------------------ SegIoUMetric
def test_seg_metric_through_process(tmp_path):
    png = tmp_path / 'cm.png'
    metric = METRICS.build(dict(type='SegIoUMetric', classes=['a', 'b', 'c'], save_confusion_png=str(png)))
    assert isinstance(metric, SegIoUMetric)
    # split the example over two batches: dict samples, then objects (tensors); plus a no-gt sample
    metric.process({}, [dict(pred=PRED[:1], gt=GT[:1])])
    metric.process({}, [SimpleNamespace(pred=torch.from_numpy(PRED[1:]), gt=torch.from_numpy(GT[1:])),
                        SimpleNamespace(pred=torch.zeros(2, 3), gt=None)])
    res = metric.evaluate(3)
    assert res['mIoU'] == pytest.approx(100 * sum(IOU) / 3)
    assert res['aAcc'] == pytest.approx(60.0)
    assert res['mAcc'] == pytest.approx(100 * 2 / 3)
    assert res['IoU.b'] == pytest.approx(100 / 3)
    assert res['Acc.c'] == pytest.approx(100.0)
    np.testing.assert_array_equal(metric.last_confusion, [[1, 1, 0], [0, 1, 1], [0, 0, 1]])
    assert_valid_png(png)


def test_seg_metric_crops_padding_and_uses_dataset_meta():
    metric = SegIoUMetric()
    metric.dataset_meta = dict(classes=('x', 'y', 'z'))
    gt = np.full((4, 5), 255, np.uint8)
    gt[:2, :3] = GT                                  # batch padding with 255
    metric.process({}, [dict(pred=PRED, gt=gt)])
    assert metric.evaluate(1)['IoU.x'] == pytest.approx(50.0)
    gt[3, 4] = 1                                      # a real label outside the prediction
    with pytest.raises(ValueError, match=r'f\.png.*prediction shape'):
        metric.process({}, [dict(pred=PRED, gt=gt, img_path='f.png')])
    with pytest.raises(ValueError, match='num_classes or classes'):
        SegIoUMetric().process({}, [dict(pred=PRED, gt=GT)])
    with pytest.raises(ValueError, match='no pred'):
        SegIoUMetric(num_classes=3).process({}, [dict(gt=GT)])


# ------------------------------------------------------------------ PatchMetric
# gt / pred patch labels, K = 4. Counts by hand: tp = [2, 2, 2, 1], support = [3, 2, 4, 1],
# predicted = [2, 3, 2, 3].
P_GT = [0, 0, 0, 1, 1, 2, 2, 2, 2, 3]
P_PRED = [0, 0, 1, 1, 1, 2, 2, 3, 3, 3]
P_PREC = [1, 2 / 3, 1, 1 / 3]
P_REC = [2 / 3, 1, 1 / 2, 1]
P_F1 = [0.8, 0.8, 2 / 3, 0.5]


def _check_patch(res):
    assert res['accuracy'] == pytest.approx(70.0)
    for i, n in enumerate('ABCD'):
        assert res[f'precision.{n}'] == pytest.approx(100 * P_PREC[i])
        assert res[f'recall.{n}'] == pytest.approx(100 * P_REC[i])
        assert res[f'F1.{n}'] == pytest.approx(100 * P_F1[i])
    assert res['macro_F1'] == pytest.approx(100 * sum(P_F1) / 4)
    assert res['weighted_F1'] == pytest.approx(100 * (3 * 0.8 + 2 * 0.8 + 4 * 2 / 3 + 1 * 0.5) / 10)
    # micro F1 from summed TP / FP / FN equals accuracy for single-label data
    tp = sum(g == p for g, p in zip(P_GT, P_PRED))
    fp = fn = len(P_GT) - tp
    micro = 2 * tp / (2 * tp + fp + fn)
    assert res['micro_F1'] == pytest.approx(100 * micro) == pytest.approx(res['accuracy'])


def test_patch_metric_int_samples(tmp_path):
    m = METRICS.build(dict(type='PatchMetric', classes=list('ABCD'), save_confusion_png=str(tmp_path / 'p.png')))
    assert isinstance(m, PatchMetric)
    m.process({}, [dict(pred_label=p, gt_label=g) for p, g in zip(P_PRED[:4], P_GT[:4])])
    m.process({}, [SimpleNamespace(pred_label=torch.tensor(p), gt_label=torch.tensor(g))
                   for p, g in zip(P_PRED[4:], P_GT[4:])] + [dict(pred_label=1, gt_label=None)])
    _check_patch(m.evaluate(11))
    assert_valid_png(tmp_path / 'p.png')


def test_patch_metric_grid_samples():
    m = PatchMetric(num_classes=4, classes=list('ABCD'))
    gt, pred = np.array(P_GT).reshape(2, 5), np.array(P_PRED).reshape(2, 5)
    m.process({}, [dict(pred_label=pred, gt_label=gt)])
    _check_patch(m.evaluate(1))
    with pytest.raises(ValueError, match='shape'):
        m.process({}, [dict(pred_label=pred[0], gt_label=gt, img_path='frame.jpg')])


# ------------------------------------------------------------------ plots
def test_colorize_and_overlay():
    pal = np.array([[10, 20, 30], [200, 100, 0]], np.uint8)
    mask = np.array([[0, 1], [255, 1]], np.uint8)
    col = colorize(mask, pal)
    np.testing.assert_array_equal(col[0, 0], [10, 20, 30])
    np.testing.assert_array_equal(col[0, 1], [200, 100, 0])
    np.testing.assert_array_equal(col[1, 0], [255, 255, 255])
    img = np.full((2, 2, 3), 100, np.uint8)
    ov = overlay(img, mask, pal, alpha=0.5)
    np.testing.assert_array_equal(ov[0, 1], [150, 100, 50])      # (100 + 200) / 2, ...
    np.testing.assert_array_equal(ov[1, 0], [100, 100, 100])     # ignore: left unpainted
    np.testing.assert_array_equal(overlay(np.full((2, 2), 0.5), mask, pal, alpha=0.0)[0, 0], [128] * 3)
    with pytest.raises(ValueError, match='size'):
        overlay(img, np.zeros((3, 3), np.uint8), pal)


def test_figures_are_valid_pngs(tmp_path):
    rng = np.random.default_rng(0)
    imgs = [rng.integers(0, 255, (32, 40, 3), dtype=np.uint8) for _ in range(2)]
    masks = [[rng.integers(0, 3, (32, 40)), None, rng.integers(0, 3, (32, 40))] for _ in range(2)]
    save_overlay_grid(tmp_path / 'grid.png', imgs, masks, ['GT', 'pseudo', 'prediction'])
    plot_confusion(np.array([[5, 1], [0, 0]]), ['a', 'b'], tmp_path / 'cm.png')   # a zero row is fine
    plot_confusion(np.array([[5, 1], [2, 3]]), ['a', 'b'], tmp_path / 'cm_counts.png', normalize=None)
    plot_curves(tmp_path / 'sub' / 'curve.png', {'full': ([1, 2, 3], [10, 20, 25]), 'weak': ([1, 2, 3], [5, 9, 12])},
                'iteration', 'mIoU', 'learning curve')
    for name in ('grid.png', 'cm.png', 'cm_counts.png', 'sub/curve.png'):
        assert_valid_png(tmp_path / name)
    assert not list(tmp_path.rglob('*.tmp'))
    with pytest.raises(ValueError, match='titles'):
        save_overlay_grid(tmp_path / 'x.png', imgs, masks, ['GT'])
    with pytest.raises(ValueError, match='normalize'):
        plot_confusion(np.eye(2), ['a', 'b'], tmp_path / 'x.png', normalize='rows')
    with pytest.raises(ValueError, match='classes'):
        plot_confusion(np.eye(2), ['a'], tmp_path / 'x.png')
    with pytest.raises(ValueError, match="'w'"):
        plot_curves(tmp_path / 'x.png', {'w': ([1, 2], [1])})


def test_seg_metric_accepts_model_samples():
    """The ``SegSample`` objects a ``WeakSegmentor`` returns from predict (gt padded to the batch)."""
    from wsseg.datasets.transforms import SegSample
    gt = torch.full((3, 4), 255, dtype=torch.long)
    gt[:2, :3] = torch.from_numpy(GT).long()
    s = SegSample(img_path='a.png', img_id='a', ori_shape=(2, 3), img_shape=(2, 3), gt=gt,
                  pred=torch.from_numpy(PRED).long())
    m = SegIoUMetric(num_classes=3)
    m.process({}, [s])
    assert m.evaluate(1)['mIoU'] == pytest.approx(100 * sum(IOU) / 3)
