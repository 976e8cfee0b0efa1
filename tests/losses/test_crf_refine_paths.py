"""Mean-field CRF post-processing where users reach it: at test time (WeakSegmentor
``test_cfg.crf``, tools/test.py) and in tools/pseudo_label.py (``NetworkPseudoLabeller(crf=...)``
and the ``CRFRefined`` wrapper)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

from wsseg.datasets.synthetic import make_scenes
from wsseg.datasets.transforms import SegSample
from wsseg.registry import MODELS
from wsseg.utils.io import read_mask

REPO = Path(__file__).resolve().parents[2]
CLASSES = ('background', 'disc', 'square', 'triangle', 'stripes')
CRF = dict(n_iters=5, radius=3, sigma_rgb=13.0, w_bilateral=10.0)


@pytest.fixture(scope='module')
def scenes(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp('crf_scenes')
    make_scenes(root, splits={'train': 3, 'val': 2}, size=(48, 48), seed=7, classes=CLASSES)
    return root


def _demo_cfg(scenes: Path, tmp_path: Path) -> Config:
    cfg = Config.fromfile(str(REPO / 'configs/demo/scenes_scribbles.py'))
    for d in (cfg.train_dataloader.dataset, cfg.val_dataloader.dataset, cfg.test_dataloader.dataset,
              cfg.pseudo_dataset):
        d.data_root = str(scenes)
    cfg.model.net.aspp_channels = 16
    cfg.work_dir = str(tmp_path / 'work')
    return cfg


def _model(test_cfg=None):
    return MODELS.build(dict(type='WeakSegmentor', losses=[dict(type='PartialCrossEntropy')], test_cfg=test_cfg,
                             net=dict(type='DeepLabV3Plus', num_classes=2, depth=18, aspp_channels=16)))


def _boundary(mask: np.ndarray) -> int:
    """Number of 4-neighbour pairs with different labels."""
    return int((mask[1:] != mask[:-1]).sum() + (mask[:, 1:] != mask[:, :-1]).sum())


def test_test_time_crf_fixes_noisy_prediction():
    """Two colour halves, logits right on average but noisy: the CRF-refined prediction is
    (nearly) exact and beats the plain argmax; the padding is cropped in both."""
    g = torch.Generator().manual_seed(0)
    h, w = 32, 40
    image = torch.zeros(3, h, w, dtype=torch.uint8)
    image[0, :, :20] = 200
    image[2, :, 20:] = 200
    truth = torch.zeros(h, w, dtype=torch.long)
    truth[:, 20:] = 1
    logits = torch.randn(1, 2, h, w + 8, generator=g) * 1.5   # batch padded by 8 columns
    logits[0, 1, :, :w] += (truth.float() - 0.5) * 2.0
    preds = {}
    for name, test_cfg in (('plain', None), ('crf', dict(crf=CRF))):
        model = _model(test_cfg)
        sample = SegSample(img_path='/x/two_halves.png', img_id='two_halves', ori_shape=(h, w), img_shape=(h, w))
        inputs = model.data_preprocessor(dict(inputs=[image], data_samples=[sample]))['inputs']
        inputs = torch.nn.functional.pad(inputs, (0, 8))
        out = model.predict(logits, [sample], inputs)[0]
        assert out.pred.shape == (h, w) and out.extra['confidence'].shape == (h, w)
        preds[name] = (out.pred == truth).float().mean().item()
    assert preds['plain'] < 0.9 and preds['crf'] > 0.98, preds


def test_tools_test_with_crf(scenes, tmp_path):
    from tools.test import main as test_main
    cfg = _demo_cfg(scenes, tmp_path)
    cfg.model.test_cfg = dict(crf=CRF)
    cfg.test_dataloader.batch_size = 2
    cfg_path = tmp_path / 'cfg.py'
    cfg.dump(str(cfg_path))
    torch.manual_seed(0)
    ckpt = tmp_path / 'model.pth'
    torch.save({'state_dict': MODELS.build(cfg.model).state_dict()}, ckpt)
    metrics = test_main([str(cfg_path), str(ckpt), '--work-dir', str(tmp_path / 't')])
    assert 0.0 <= metrics['mIoU'] <= 100.0


def test_pseudo_label_crf_smooths_and_wrapper_keeps_labels(scenes, tmp_path):
    """tools/pseudo_label.py on an untrained (noisy) network: with ``crf`` the masks have
    shorter label boundaries; ``CRFRefined`` around it writes masks of the same images."""
    from tools.pseudo_label import main as pseudo_main
    cfg = _demo_cfg(scenes, tmp_path)
    torch.manual_seed(0)
    ckpt = tmp_path / 'model.pth'
    torch.save({'state_dict': MODELS.build(cfg.model).state_dict()}, ckpt)
    cfg.pseudo_labeller.keep_weak = False
    runs = {'plain': None, 'crf': CRF}
    for name, crf in runs.items():
        cfg.pseudo_labeller.crf = crf
        cfg.dump(str(tmp_path / f'{name}.py'))
        pseudo_main([str(tmp_path / f'{name}.py'), '--checkpoint', str(ckpt), '--out', str(tmp_path / name)])
    stems = sorted(p.stem for p in (tmp_path / 'plain').glob('*.png'))
    assert len(stems) == 3
    plain = sum(_boundary(read_mask(tmp_path / 'plain' / f'{s}.png')) for s in stems)
    crf = sum(_boundary(read_mask(tmp_path / 'crf' / f'{s}.png')) for s in stems)
    assert crf < plain, (crf, plain)
    # the wrapper: any labeller's masks, refined among the labels they already hold
    cfg.pseudo_labeller = dict(type='CRFRefined', num_classes=len(CLASSES), within_labels=True,
                               labeller=dict(cfg.pseudo_labeller, crf=None, model=cfg.model),
                               n_iters=3, confidence=0.7)
    cfg.dump(str(tmp_path / 'wrapped.py'))
    pseudo_main([str(tmp_path / 'wrapped.py'), '--checkpoint', str(ckpt), '--out', str(tmp_path / 'wrapped')])
    for s in stems:
        before = read_mask(tmp_path / 'plain' / f'{s}.png')
        after = read_mask(tmp_path / 'wrapped' / f'{s}.png')
        assert set(np.unique(after)) <= set(np.unique(before))
        assert _boundary(after) <= _boundary(before)
