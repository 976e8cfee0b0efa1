"""ClipPrompts on an open_clip model with random weights (no hub: HF_HUB_OFFLINE=1)."""
from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from wsseg.registry import WEAK_LABELS
from wsseg.utils.checkpoint import CheckpointError
from wsseg.weak import LoadWeakLabels
from wsseg.weak.clip_prompts import BACKGROUND_PROMPTS, SEAGRASS_PROMPTS, TINY_CONFIG_DIR

os.environ.setdefault('HF_HUB_OFFLINE', '1')
TINY = 'wsseg-tiny-clip'


def frame(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (50, 80, 3), dtype=np.uint8)


def test_refuses_random_weights_without_flag(tmp_path):
    with pytest.raises(CheckpointError, match='allow_random_weights=True'):
        WEAK_LABELS.build(dict(type='ClipPrompts', model_name=TINY))
    with pytest.raises(CheckpointError, match='CLIP checkpoint not found: .*nope.bin'):
        WEAK_LABELS.build(dict(type='ClipPrompts', model_name=TINY, checkpoint=str(tmp_path / 'nope.bin')))


def test_paper_prompts_are_default():
    src = WEAK_LABELS.build(dict(type='ClipPrompts', model_name=TINY, allow_random_weights=True))
    assert src.prompts == list(BACKGROUND_PROMPTS) + list(SEAGRASS_PROMPTS)
    assert len(BACKGROUND_PROMPTS) == 5 and len(SEAGRASS_PROMPTS) == 6 and src.n_bg == 5


def test_random_weight_labels_follow_the_prompt_rule():
    torch.manual_seed(0)
    src = WEAK_LABELS.build(dict(type='ClipPrompts', model_name=TINY, allow_random_weights=True, grid=(5, 8)))
    img = frame()
    scores = src.score_patches(img)
    assert scores.shape == (40, 11)
    assert torch.all(scores.abs() <= 1 + 1e-5)                   # cosines
    labels = src.label_patches(img, image_label=1, background_index=3)
    expect = np.where(scores.argmax(1).numpy() >= 5, 1, 3).reshape(5, 8)
    assert np.array_equal(labels, expect)
    assert (src.label_patches(img, image_label=3, background_index=3) == 3).all()


def test_swapping_prompt_roles_swaps_labels():
    torch.manual_seed(0)
    a = WEAK_LABELS.build(dict(type='ClipPrompts', model_name=TINY, allow_random_weights=True, grid=(4, 4),
                               background_prompts=['a photo of sand'],
                               foreground_prompts=['a photo of seagrass']))
    a._load()
    b = WEAK_LABELS.build(dict(type='ClipPrompts', model_name=TINY, allow_random_weights=True, grid=(4, 4),
                               background_prompts=['a photo of seagrass'],
                               foreground_prompts=['a photo of sand']))
    b._model = (a._model[0], a._model[1], a._model[2].flip(0))   # same CLIP, prompts in b's order
    img = frame(3)
    la, lb = a.label_patches(img, 0, 1), b.label_patches(img, 0, 1)
    scores = a.score_patches(img)
    untied = (scores[:, 0] != scores[:, 1]).numpy().reshape(4, 4)
    assert np.array_equal(la[untied], 1 - lb[untied])


def test_checkpoint_path_is_loaded_and_pipeline_sets_patch_pseudo(tmp_path):
    import open_clip
    open_clip.add_model_config(TINY_CONFIG_DIR)
    torch.manual_seed(5)
    model = open_clip.create_model(TINY, pretrained=None)
    path = tmp_path / 'tiny_clip.pt'
    torch.save(model.state_dict(), path)
    src = WEAK_LABELS.build(dict(type='ClipPrompts', model_name=TINY, checkpoint=str(path), grid=(2, 3)))
    loaded = src._load()[0]
    for k, v in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[k], v), k
    step = LoadWeakLabels(sources=[src])
    results = dict(img=frame(1), img_shape=(50, 80), img_path='f.jpg', img_id='f', image_label=0,
                   classes=('Strappy', 'Ferny', 'Rounded', 'Background'))
    out = step(results)
    assert out['patch_pseudo'].shape == (2, 3)
    assert set(np.unique(out['patch_pseudo'])) <= {0, 3}
    assert out['weak'].tags.tolist() == [0]
