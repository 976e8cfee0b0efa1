"""PatchPixelMetric on synthetic seagrass frames with known pixel truth."""
from __future__ import annotations

import numpy as np
import pytest

from wsseg.datasets.synthetic import make_seagrass_frames
from wsseg.evaluation.confusion import confusion_matrix, scores_from_confusion
from wsseg.patch.pixel_metric import PatchPixelMetric
from wsseg.patch.refine import coarse_pixels
from wsseg.utils.io import DataError, read_mask

CLASSES = ('Strappy', 'Ferny', 'Rounded', 'Background')


@pytest.fixture(scope='module')
def frames(tmp_path_factory):
    root = tmp_path_factory.mktemp('sgpix')
    make_seagrass_frames(root, 4, patch=(10, 12), seed=3)
    return root


def samples(root, wrong: bool = False) -> list[dict]:
    out = []
    for path in sorted((root / 'frames').rglob('*.jpg')):
        truth = np.load(root / 'patch_labels' / f'{path.stem}.npy')
        pred = (truth + 1) % 4 if wrong else truth
        probs = np.eye(4, dtype=np.float32)[pred].transpose(2, 0, 1)
        out.append(dict(img_path=str(path), img_id=path.stem, extra={'probs': probs}, pred_label=pred,
                        gt_label=truth))
    return out


def test_scores_the_painted_and_refined_patch_maps(frames):
    metric = PatchPixelMetric(mask_dir=str(frames / 'pixel_masks'), classes=CLASSES,
                              superpixels=dict(n_segments=50))
    s = samples(frames)
    metric.process(None, s)
    got = metric.compute_metrics(metric.results)
    assert set(got) == {'patch_mIoU', 'pixel_mIoU.coarse', 'pixel_mIoU.crf', 'pixel_mIoU.superpixels'}
    assert got['patch_mIoU'] == pytest.approx(100.0)                  # the true patch map
    cm = sum(confusion_matrix(coarse_pixels(x['extra']['probs'], (50, 96)),
                              read_mask(frames / 'pixel_masks' / f"{x['img_id']}.png"), 4) for x in s)
    assert got['pixel_mIoU.coarse'] == pytest.approx(100 * scores_from_confusion(cm)['mIoU'])
    assert got['pixel_mIoU.coarse'] < 100                             # patches do not follow the pixels
    wrong = PatchPixelMetric(mask_dir=str(frames / 'pixel_masks'), classes=CLASSES, methods=('coarse',))
    wrong.process(None, samples(frames, wrong=True))
    assert wrong.compute_metrics(wrong.results)['pixel_mIoU.coarse'] < got['pixel_mIoU.coarse'] / 2


def test_missing_truth_and_bad_methods_are_named(frames, tmp_path):
    metric = PatchPixelMetric(mask_dir=str(tmp_path), classes=CLASSES, methods=('coarse',))
    with pytest.raises(DataError, match=f"pixel truth {tmp_path}/Image0.png not found"):
        metric.process(None, samples(frames)[:1])
    with pytest.raises(ValueError, match=r"unknown methods \['grabcut'\]"):
        PatchPixelMetric(mask_dir=str(tmp_path), methods=('coarse', 'grabcut'))
    bad = samples(frames)[:1]
    bad[0]['extra'] = {}
    with pytest.raises(ValueError, match='no extra\\["probs"\\]'):
        metric.process(None, bad)
