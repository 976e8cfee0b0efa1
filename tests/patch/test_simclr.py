"""NT-Xent against a hand-computed case; augmentations; a tiny pretraining run and its CLI."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from wsseg.patch import PatchClassifier
from wsseg.patch.simclr import nt_xent, simclr_augment

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize('t', [1.0, 0.5, 0.1])
def test_nt_xent_hand_computed(t):
    # views: v0 = v2 = e1, v1 = v3 = e2. For every view the positive has cos 1, the two
    # negatives cos 0: loss = -log(e^(1/t) / (e^(1/t) + 2)) = log(1 + 2 e^(-1/t)).
    z1 = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    z2 = torch.tensor([[2.0, 0.0], [0.0, 3.0]])          # scale does not matter (cosine)
    assert math.isclose(nt_xent(z1, z2, t).item(), math.log(1 + 2 * math.exp(-1 / t)), rel_tol=1e-4, abs_tol=1e-6)


def test_nt_xent_asymmetric_case_and_errors():
    z1 = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    z2 = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    # v0=e1, v1=e1, v2=e2, v3=e1; positives 0<->2, 1<->3
    e = math.e
    l0 = -math.log(1 / (e + 1 + e))          # pos cos 0; negatives v1 (1), v3 (1)
    l1 = -math.log(e / (e + 1 + e))          # pos v3 (1); negatives v0 (1), v2 (0)
    l2 = -math.log(1 / (1 + 1 + 1))          # pos v0 (0); negatives v1 (0), v3 (0)
    l3 = -math.log(e / (e + e + 1))          # pos v1 (1); negatives v0 (1), v2 (0)
    assert math.isclose(nt_xent(z1, z2, 1.0).item(), (l0 + l1 + l2 + l3) / 4, rel_tol=1e-5)
    with pytest.raises(ValueError, match='temperature'):
        nt_xent(z1, z2, 0.0)
    with pytest.raises(ValueError, match='one shape'):
        nt_xent(z1, z2[:1])


def test_augment_makes_two_different_views():
    torch.manual_seed(0)
    x = torch.randint(0, 256, (3, 60, 90), dtype=torch.uint8)
    aug = simclr_augment(32)
    a, b = aug(x), aug(x)
    assert a.shape == (3, 32, 32) and a.dtype == torch.float32 and 0 <= a.min() and a.max() <= 1
    assert not torch.equal(a, b)


def test_pretrain_cli_writes_a_checkpoint_seafeats_loads(tmp_path):
    from tools.pretrain_simclr import main
    rng = np.random.default_rng(0)
    for i in range(6):
        (tmp_path / 'imgs' / 'Strappy').mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)).save(tmp_path / 'imgs' / 'Strappy' / f'{i}.jpg')
    (tmp_path / 'imgs' / '._0.jpg').write_bytes(b'junk')       # skipped
    out = tmp_path / 'simclr.pth'
    meta = main([str(tmp_path / 'imgs'), '--out', str(out), '--epochs', '2', '--size', '32',
                 '--batch-size', '6', '--patch-grid', '1', '2'])
    assert meta['n_images'] == 12 and len(meta['losses']) == 2 and all(np.isfinite(meta['losses']))
    model = PatchClassifier(4, init_checkpoint=str(out))
    model.init_weights()
    saved = torch.load(out, weights_only=True)['state_dict']
    assert torch.equal(model.trunk.layer1[0].conv1.weight, saved['layer1.0.conv1.weight'])
    with pytest.raises(SystemExit, match='empty.*no image'):
        (tmp_path / 'empty').mkdir()
        main([str(tmp_path / 'empty'), '--out', str(tmp_path / 'x.pth')])
