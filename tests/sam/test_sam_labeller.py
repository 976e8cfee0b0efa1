"""The SAM pseudo-labellers: fine-tune, resume, bad settings (tiny random-weight SAM, CPU).
Bad boxes, scribbles and images without weak labels: tests/reliability/test_bad_inputs.py."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from wsseg.datasets.synthetic import SCENE_CLASSES, make_scenes
from wsseg.pseudo.sam_box import SamBoxPseudoLabeller
from wsseg.registry import DATASETS, PSEUDO_LABELLERS
from wsseg.structures import WeakLabels

from .conftest import LOSS, TINY_SAM, make_labeller, toy_sample


def scenes_dataset(root, n=3):
    make_scenes(root, splits={'train': n}, size=(64, 64), seed=1)
    pipeline = [dict(type='LoadImage'), dict(type='LoadMask'),
                dict(type='LoadWeakLabels', sources=[dict(type='Boxes', simulate=True, background_index=0),
                                                     dict(type='Scribbles', simulate=True, coverage=0.05)]),
                dict(type='PackSegInputs', target='none')]
    return DATASETS.build(dict(type='FolderDataset', data_root=str(root), classes=SCENE_CLASSES,
                               split='train', pipeline=pipeline))


def test_finetune_lowers_the_logic_loss(tmp_path):
    lab = make_labeller(tmp_path, finetune_epochs=25, lr=1e-2)
    img, weak = toy_sample()
    truth = np.zeros(img.shape[:2], bool)
    truth[10:30, 20:44] = True                  # the square fills its box
    before = lab.predict(img, weak)[0] == 1
    hist = lab.finetune([(img, weak, 'toy.png')])
    assert len(hist) == 25 and np.isfinite(hist).all()
    assert hist[-1] < hist[0] * 0.5
    after = lab.predict(img, weak)[0] == 1
    iou = lambda m: (m & truth).sum() / max((m | truth).sum(), 1)   # noqa: E731
    assert iou(after) > 0.3 and iou(after) > iou(before) + 0.2   # random weights: partial fill


def test_run_writes_masks_and_resumes_one_image(tmp_path):
    ds = scenes_dataset(tmp_path / 'data')
    out = tmp_path / 'out'
    lab = make_labeller(tmp_path, num_classes=len(SCENE_CLASSES), loss=dict(LOSS))
    rep = lab.run(ds, out, save_confidence=True)
    assert rep['labelled'] == 3 and rep['decoder'] == 'finetuned' and (out / 'sam_decoder.pth').is_file()
    assert rep['cache_misses'] == 3 and rep['cache_hits'] >= 3
    names = sorted(p.name for p in out.glob('scene_*.png'))
    assert len(names) == 3 and len(list((out / 'confidence').glob('*.png'))) == 3
    first = {n: np.array(Image.open(out / n)) for n in names}
    for n, m in first.items():
        assert m.shape == (64, 64) and m.dtype == np.uint8
        assert set(np.unique(m)) <= set(range(len(SCENE_CLASSES)))
    (out / names[1]).unlink()
    again = make_labeller(tmp_path, num_classes=len(SCENE_CLASSES), loss=dict(LOSS))
    rep2 = again.run(ds, out)
    assert rep2['labelled'] == 1 and rep2['skipped_existing'] == 2
    assert rep2['decoder'].startswith('loaded:') and rep2['cache_misses'] == 0
    assert np.array_equal(np.array(Image.open(out / names[1])), first[names[1]])   # same decoder


def test_box_baseline_and_registry(tmp_path):
    lab = PSEUDO_LABELLERS.build(dict(type='SamBoxPseudoLabeller', sam=dict(TINY_SAM), num_classes=3,
                                      cache_dir=str(tmp_path / 'c'), device='cpu'))
    assert isinstance(lab, SamBoxPseudoLabeller) and lab.finetune_epochs == 0 and not lab.keep_weak
    img, weak = toy_sample()
    pr = lab.prompts_for(weak)
    assert len(pr) == 1 and (pr.box_point_labels == -1).all()
    mask, conf = lab.label(dict(img=img, weak=weak, img_path='toy.png'))
    assert mask.shape == img.shape[:2] and set(np.unique(mask)) <= {0, 1}
    assert ((conf >= 0) & (conf <= 1)).all()
    expected = 'cuda' if torch.cuda.is_available() else 'cpu'
    auto = make_labeller(tmp_path, device=None)
    assert auto.device.type == expected and next(auto.sam.parameters()).device.type == expected


def test_keep_weak_overwrites_scribbles(labeller):
    img, weak = toy_sample()
    mask, conf = labeller.label(dict(img=img, weak=weak, img_path='toy.png'))
    assert (mask[20, 24:40] == 1).all() and (mask[40, 5:60] == 0).all() and (conf[40, 5:60] == 1).all()


def test_bad_settings(tmp_path):
    with pytest.raises(ValueError, match='on_empty'):
        make_labeller(tmp_path, on_empty='skip')
