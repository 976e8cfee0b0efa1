"""PatchMapPseudoLabeller: frames -> pixel masks through a patch model's patch map."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from wsseg.patch.grid import patch_map_to_pixels
from wsseg.registry import PSEUDO_LABELLERS, TRANSFORMS


def frame_results(h=60, w=96, seed=0) -> dict:
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    img[:, : w // 2] //= 4                                      # two halves of different colour
    pack = TRANSFORMS.build(dict(type='PackPatchInputs'))
    return pack(dict(img=img, img_path='f.jpg', img_id='f', image_label=1))


def build(refine='none', **kw):
    torch.manual_seed(0)
    model = dict(type='PatchClassifier', num_classes=3, grid=(3, 4), label_source='weak')
    return PSEUDO_LABELLERS.build(dict(type='PatchMapPseudoLabeller', model=model, refine=refine,
                                       device='cpu', **kw))


def test_painted_map_is_the_argmax_of_the_patch_probabilities():
    lab = build('none')
    res = frame_results()
    probs = lab.patch_probs(res)
    assert probs.shape == (3, 3, 4) and np.allclose(probs.sum(0), 1, atol=1e-5)
    mask, conf = lab.label(res)
    assert mask.shape == (60, 96) and mask.dtype == np.uint8
    assert np.array_equal(mask, patch_map_to_pixels(probs.argmax(0), (60, 96)))
    assert np.allclose(conf, patch_map_to_pixels(probs.max(0), (60, 96)))


@pytest.mark.parametrize('refine', ['crf', 'superpixels'])
def test_refined_masks_keep_to_the_classes_of_the_map(refine):
    lab = build(refine)
    res = frame_results()
    mask, conf = lab.label(res)
    present = set(np.unique(lab.patch_probs(res).argmax(0)).tolist())
    assert mask.shape == (60, 96) and set(np.unique(mask).tolist()) <= present | set(range(3))
    assert ((conf >= 0) & (conf <= 1)).all()


def test_low_confidence_is_undecided_and_bad_settings_are_refused():
    mask, _ = build('none', min_confidence=1.01).label(frame_results())
    assert (mask == 255).all()
    with pytest.raises(ValueError, match="refine must be one of"):
        build('watershed')
    with pytest.raises(ValueError, match="refine='sam' needs refine_cfg"):
        build('sam')
