"""Median-frequency class weights (wsseg/stage2/class_weights.py, tools/class_weights.py)."""
from __future__ import annotations

import argparse

import numpy as np
import pytest
from mmengine.config import Config, DictAction

from tools.class_weights import main as class_weights_tool
from wsseg.stage2.class_weights import class_frequencies, median_frequency_weights
from wsseg.utils.io import DataError, write_png_atomic


def test_known_answer(tmp_path):
    # class 0: 3 px in an image of 4 decided px; class 1: 1 of 4; class 2: 2 of 2 (255 left out); 3 absent
    write_png_atomic(tmp_path / 'a.png', np.array([[0, 0], [0, 1]], np.uint8))
    write_png_atomic(tmp_path / 'b.png', np.array([[2, 2], [255, 255]], np.uint8))
    pixels, image_pixels = class_frequencies(tmp_path, 4, progress=False)
    assert pixels.tolist() == [3, 1, 2, 0] and image_pixels.tolist() == [4, 4, 2, 0]
    # frequencies 0.75, 0.25, 1.0 -> median 0.75 -> weights 1, 3, 0.75; the absent class 0
    np.testing.assert_allclose(median_frequency_weights(pixels, image_pixels), [1.0, 3.0, 0.75, 0.0])


def test_bad_input_names_the_file(tmp_path):
    with pytest.raises(DataError, match='no .png masks'):
        class_frequencies(tmp_path, 4, progress=False)
    write_png_atomic(tmp_path / 'bad.png', np.array([[0, 7]], np.uint8))
    with pytest.raises(DataError, match='bad.png'):
        class_frequencies(tmp_path, 4, progress=False)
    with pytest.raises(ValueError, match='no class appears'):
        median_frequency_weights(np.zeros(3, np.int64), np.zeros(3, np.int64))


def test_tool_on_msrc21_masks_feeds_an_mmseg_config(shared_data, tmp_path, capsys):
    masks = shared_data / 'msrc21/masks/train'
    if not masks.is_dir():
        pytest.skip(f'{masks} not found')
    weights = class_weights_tool([str(masks), '--num-classes', '21', '--quiet', '--out', str(tmp_path / 'w.json')])
    options = capsys.readouterr().out.strip().splitlines()[-1].split()
    assert options[0] == 'model.decode_head.loss_decode.type=ClassWeightedCrossEntropyLoss'
    assert options[1].startswith('model.decode_head.loss_decode.class_weight=[')
    w = np.array(weights)
    assert len(w) == 21 and (w > 0).all()               # every class appears in the train masks
    assert np.median(w) == pytest.approx(1.0, abs=1e-3)  # 21 classes: the median class weighs 1
    # the rarest-per-image classes weigh most: a class's weight falls as its frequency rises
    pixels, image_pixels = class_frequencies(masks, 21, progress=False)
    order = np.argsort(pixels / image_pixels)
    assert (np.diff(w[order]) <= 1e-3).all()
    # the printed options parse into the stage-2 config, and the loss they name takes them
    p = argparse.ArgumentParser()
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    cfg = Config.fromfile('configs/stage2/msrc21_pseudo.py')
    cfg.merge_from_dict(p.parse_args(['--cfg-options', *options]).cfg_options)
    assert cfg.model.decode_head.loss_decode.class_weight == pytest.approx(weights)
    pytest.importorskip('mmcv.ops', reason='mmcv with compiled ops is built by tools/setup_env.sh')
    import torch
    from mmengine.registry import DefaultScope
    from mmseg.registry import MODELS

    from wsseg.stage2 import prepare_mmseg
    prepare_mmseg()
    with DefaultScope.overwrite_default_scope('mmseg'):   # as tools/train.py builds an mmseg config
        loss = MODELS.build(cfg.model.decode_head.loss_decode)
    logits, target = torch.zeros(1, 21, 2, 2), torch.tensor([[[20, 14], [14, 255]]])   # one void pixel
    logits[0, 20, 0, 0] = 3.0                               # the class-20 pixel is easy, the others not
    wt = torch.as_tensor(w, dtype=torch.float32)
    # PyTorch's weighted mean over the labelled pixels; mmseg's own loss raises IndexError here
    expected = torch.nn.functional.cross_entropy(logits, target, weight=wt, ignore_index=255).item()
    plain = torch.nn.functional.cross_entropy(logits, target, ignore_index=255).item()
    assert abs(expected - plain) > 0.1                      # so the weights matter here
    assert loss(logits, target, ignore_index=255).item() == pytest.approx(expected, rel=1e-5)
