"""Seeds from tag CAMs: the threshold calibration, multi-scale + flip CAMs, and the CAM
labeller's superpixel option on a real MSRC-21 image."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from wsseg.models.cam_classifier import CamClassifier, normalise_cams
from wsseg.pseudo.cam import CamPseudoLabeller, multiscale_cams
from wsseg.pseudo.tag_seeds import (calibrate_threshold, confusion_with_undecided, scores_with_undecided,
                                    seed_scores, tag_argmax)


def test_tag_argmax_maps_the_strongest_map_to_its_tag_and_leaves_weak_pixels_undecided():
    scores = np.array([[[0.9, 0.2, 0.5]],      # map of tag 7
                       [[0.1, 0.3, 0.5]]])     # map of tag 2
    assert tag_argmax(scores, [7, 2]).tolist() == [[7, 2, 7]]          # a tie goes to the first tag
    assert tag_argmax(scores, [7, 2], threshold=0.5).tolist() == [[7, 255, 7]]   # 0.5 >= 0.5 is kept


def test_undecided_pixels_count_as_misses():
    gt = np.array([[0, 0, 1, 255]])
    pred = np.array([[0, 255, 1, 1]], np.uint8)
    cm = confusion_with_undecided(pred, gt, 2)
    assert cm.tolist() == [[1, 0, 1], [0, 1, 0]]
    s = scores_with_undecided(cm)
    assert s['mIoU'] == pytest.approx(100 * (0.5 + 1.0) / 2)          # class 0: 1 / (2 + 1 - 1)
    assert s['mIoU_decided'] == pytest.approx(100.0) and s['decided'] == pytest.approx(200 / 3)
    assert s['mAcc'] == pytest.approx(75.0) and s['aAcc'] == pytest.approx(200 / 3)


def test_calibration_picks_the_threshold_that_trades_coverage_for_precision():
    # left half class 0, right half class 1; the CAMs are right where they are strong (0.8)
    # and wrong where they are weak (0.2 on the wrong tag): only a threshold in (0.2, 0.8] helps
    gt = np.zeros((4, 8), np.int64)
    gt[:, 4:] = 1
    cams = np.zeros((2, 4, 8), np.float32)
    cams[0, :, :3], cams[1, :, 5:] = 0.8, 0.8
    cams[1, :, 3], cams[0, :, 4] = 0.2, 0.2          # weak and wrong at the border columns
    table = seed_scores([(cams, np.array([0, 1]), gt)], 2, [0.0, 0.1, 0.5, 0.9])
    assert [round(r['decided']) for r in table] == [100, 100, 75, 0]
    assert calibrate_threshold(table) == 0.5
    assert table[2]['mIoU_decided'] == pytest.approx(100.0)
    with pytest.raises(ValueError, match='no scored'):
        calibrate_threshold([])


def test_multiscale_cams_are_normalised_and_sized():
    torch.manual_seed(0)
    model = CamClassifier(num_classes=4).eval()
    x = torch.randn(1, 3, 32, 64)
    one = multiscale_cams(model, x, (30, 60), (1.0,), flip=False)
    ref = normalise_cams(torch.nn.functional.interpolate(model.cams(x).clamp_min(0), (32, 64),
                                                         mode='bilinear', align_corners=False)[..., :30, :60])
    assert torch.allclose(one, ref, atol=1e-6)
    ms = multiscale_cams(model, x, (30, 60), (0.5, 1.0, 1.5), flip=True)
    assert ms.shape == (1, 4, 30, 60) and ms.min() >= 0 and torch.allclose(ms.amax((-2, -1)), torch.ones(1, 4), atol=1e-3)
    # flipping the input flips the flip-averaged CAMs
    msf = multiscale_cams(model, x.flip(-1), (32, 64), (1.0,), flip=True)
    assert torch.allclose(msf.flip(-1), multiscale_cams(model, x, (32, 64), (1.0,), flip=True), atol=1e-5)
    with pytest.raises(ValueError, match='positive'):
        multiscale_cams(model, x, (30, 60), (0.0,))


def test_cam_labeller_pools_over_superpixels_on_a_real_image(shared_data):
    from wsseg.datasets.msrc21 import MSRC21Dataset
    from wsseg.datasets.transforms import LoadImage, LoadMask, PackSegInputs
    from wsseg.weak.base import LoadWeakLabels
    ds = MSRC21Dataset(str(shared_data / 'msrc21'), split='val', indices=1, pipeline=[
        LoadImage(), LoadMask(), LoadWeakLabels([dict(type='Tags', simulate=True)]), PackSegInputs(target='none')])
    results = ds[0]
    tags = results['data_samples'].weak.tags
    torch.manual_seed(0)
    model = CamClassifier(num_classes=21)
    lab = CamPseudoLabeller(model, fg_threshold=0.3, scales=(0.5,), flip=False, device='cpu',
                            superpixels=dict(method='slic', params=dict(n_segments=100)))
    mask, conf = lab.label(results)
    assert mask.shape == tuple(results['data_samples'].img_shape)
    assert set(np.unique(mask).tolist()) <= set(tags.tolist()) | {255}
    assert ((conf >= 0.3) == (mask != 255)).all()
    with pytest.raises(ValueError, match='superpixels'):
        CamPseudoLabeller(model, superpixels=dict(), crf=dict(confidence=0.7), device='cpu')
