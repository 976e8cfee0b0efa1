"""ComputeSuperpixels: superpixels of the whole image, cropped and flipped with it, and used by
SuperpixelBorder instead of segmenting each crop in the loss."""
from __future__ import annotations

import numpy as np
import torch

from wsseg.logic import SuperpixelBorder, SuperpixelCache
from wsseg.logic.superpixels import superpixel_labels
from wsseg.registry import TRANSFORMS


def image(h=40, w=56, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.zeros((h, w, 3), np.uint8)
    img[:, : w // 2] = (200, 40, 40)
    img[:, w // 2:] = (40, 40, 200)
    return np.clip(img.astype(int) + rng.integers(-10, 10, img.shape), 0, 255).astype(np.uint8)


def pipeline(*steps):
    return [TRANSFORMS.build(s) for s in steps]


def test_map_of_the_whole_image_follows_crop_and_flip():
    img = image()
    cache = SuperpixelCache()
    sp_step = TRANSFORMS.build(dict(type='ComputeSuperpixels', method='slic', params=dict(n_segments=20)))
    sp_step.cache = cache
    res = sp_step(dict(img=img, img_shape=img.shape[:2], img_path='a.png'))
    full = res['weak'].superpixels
    assert full.shape == img.shape[:2] and full.dtype == np.int32
    np.testing.assert_array_equal(full, superpixel_labels(img, 'slic', dict(n_segments=20), SuperpixelCache()))
    np.random.seed(3)
    out = TRANSFORMS.build(dict(type='RandomCrop', size=(32, 32)))(res)
    out = TRANSFORMS.build(dict(type='RandomFlip', prob=1.0))(out)
    crop = out['weak'].superpixels
    assert crop.shape == (32, 32)
    # the cropped, flipped map is a window of the full one: find the window the crop took
    hits = [(y, x) for y in range(9) for x in range(25)
            if np.array_equal(full[y:y + 32, x:x + 32][:, ::-1], crop)]
    assert len(hits) == 1
    # a second pass over the same image is a cache hit: no segmentation
    sp_step(dict(img=img, img_shape=img.shape[:2], img_path='a.png'))
    assert (cache.hits, cache.misses) == (1, 1)
    # padding of a crop larger than the image is -1 (no superpixel)
    big = sp_step(dict(img=img, img_shape=img.shape[:2], img_path='a.png'))
    big = TRANSFORMS.build(dict(type='RandomCrop', size=(48, 64)))(big)
    assert (big['weak'].superpixels[40:] == -1).all() and (big['weak'].superpixels[:, 56:] == -1).all()


def test_superpixel_border_uses_the_carried_map_and_runs_no_segmentation():
    img = image()
    res = TRANSFORMS.build(dict(type='ComputeSuperpixels', params=dict(n_segments=20)))(
        dict(img=img, img_shape=img.shape[:2], img_path='a.png'))
    weak = res['weak']
    g = torch.Generator().manual_seed(0)
    logp = torch.randn(1, 3, 40, 56, generator=g).log_softmax(1)
    images = torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255
    own = SuperpixelCache()
    carried = SuperpixelBorder('slic', dict(n_segments=20), cache=own)(logp, [weak], images)
    assert own.misses == 0                                    # nothing segmented in the loss
    weak.superpixels = None
    computed = SuperpixelBorder('slic', dict(n_segments=20), cache=own)(logp, [weak], images)
    assert own.misses == 1
    assert torch.allclose(carried, computed)                  # same image, same settings, same value
    assert carried.item() < 0

