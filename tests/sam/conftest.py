"""Tiny random-weight SAM pieces shared by the SAM tests (segment_anything's own modules)."""
from __future__ import annotations

import numpy as np
import pytest

TINY_SAM = dict(type='small', image_size=64, patch_size=8, encoder_dim=32, encoder_depth=2,
                encoder_heads=2, prompt_dim=16, decoder_mlp_dim=32, decoder_heads=2, seed=0)
LOSS = dict(type='LogicLoss', background_index=0, constraints=[
    dict(type='OutsideBoxesBackground'), dict(type='BoxTightness'), dict(type='ScribbleClass'),
    dict(type='NeighbourSupport', weight=0.1),
    dict(type='SuperpixelBorder', params=dict(n_segments=20), weight=0.1)])


def make_labeller(tmp_path, **kw):
    from wsseg.pseudo.sam_logic import SamLogicPseudoLabeller
    opts = dict(sam=TINY_SAM, num_classes=3, loss=LOSS, finetune_epochs=1, lr=1e-3,
                loss_size=48, cache_dir=str(tmp_path / 'cache'), device='cpu')
    opts.update(kw)
    return SamLogicPseudoLabeller(**opts)


def toy_sample(h: int = 48, w: int = 64):
    """An image with a bright square (class 1) and a box + scribbles on it."""
    from wsseg.structures import WeakLabels
    rng = np.random.default_rng(0)
    img = (rng.random((h, w, 3)) * 60 + 40).astype(np.uint8)
    img[10:30, 20:44] = 220
    scr = np.full((h, w), 255, np.uint8)
    scr[20, 24:40] = 1
    scr[40, 5:60] = 0
    weak = WeakLabels(image_size=(h, w), boxes=[[20, 10, 44, 30]], box_labels=[1],
                      scribbles=scr, source='toy.png')
    return img, weak


@pytest.fixture
def labeller(tmp_path):
    return make_labeller(tmp_path)


