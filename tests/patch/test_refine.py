"""Pixel masks from patch maps on a synthetic seagrass frame with known pixel truth."""
from __future__ import annotations

import numpy as np
import pytest

from wsseg.datasets.synthetic import make_seagrass_frames
from wsseg.evaluation.confusion import confusion_matrix, scores_from_confusion
from wsseg.patch.refine import coarse_pixels, refine_crf, refine_superpixels
from wsseg.utils.io import read_image, read_mask


@pytest.fixture(scope='module')
def frame(tmp_path_factory):
    root = tmp_path_factory.mktemp('sg')
    meta = make_seagrass_frames(root, 5, patch=(26, 29), seed=0, background_fraction=0.0, blur_fraction=0.0)
    fid = 'Image0'
    img = read_image(next((root / 'frames').rglob(f'{fid}.jpg')))
    truth = read_mask(root / 'pixel_masks' / f'{fid}.png')
    patch = np.load(root / 'patch_labels' / f'{fid}.npy')
    return img, truth, patch, len(meta['classes'])


def miou(pred, truth, k):
    return float(scores_from_confusion(confusion_matrix(pred, truth, k))['mIoU'])


@pytest.mark.parametrize('method', ['crf', 'superpixels'])
def test_refinement_gives_valid_masks(frame, method):
    img, truth, patch, k = frame
    probs = np.full((k, *patch.shape), 0.1 / (k - 1), np.float32)
    np.put_along_axis(probs, patch[None], 0.9, 0)
    out = refine_crf(img, probs) if method == 'crf' else refine_superpixels(img, probs, n_segments=200)
    coarse = coarse_pixels(probs, truth.shape)
    assert out.shape == truth.shape and out.dtype == np.uint8
    assert set(np.unique(out)) <= set(np.unique(patch))          # no class the patch map lacks
    assert (out == coarse).mean() > 0.6                           # a refinement, not a new map
    m_coarse, m_ref = miou(coarse, truth, k), miou(out, truth, k)
    assert 0 < m_ref <= 1 and m_ref > m_coarse - 0.1, (m_coarse, m_ref)


def test_bad_shapes_are_refused(frame):
    img, _, patch, k = frame
    with pytest.raises(ValueError, match='uint8'):
        refine_crf(img.astype(np.float32), np.ones((k, 5, 8)))
    with pytest.raises(ValueError, match='rows <= H'):
        refine_superpixels(img[:3], np.ones((k, 5, 8)))
