"""The same config and seed give identical pseudo-masks, and in deterministic CPU mode
identical first-epoch losses (random flips and dropout included)."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.tiny import dump, scalars, tiny_cfg
from tools.pseudo_label import main as pseudo_label_main
from tools.train import main as train_main
from wsseg.datasets.synthetic import make_scenes

N, BATCH = 12, 4      # one epoch = 3 iterations


@pytest.fixture(scope='module')
def data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp('det')
    make_scenes(root, splits={'train': N, 'val': 2}, size=(40, 40), seed=8)
    return root


def test_same_seed_same_pseudo_masks(data, tmp_path):
    cfg = dump(tiny_cfg(data, tmp_path / 'w'), tmp_path / 'cfg.py')
    for run in ('a', 'b'):
        pseudo_label_main([str(cfg), '--out', str(tmp_path / run)])
    a = sorted((tmp_path / 'a').glob('*.png'))
    assert len(a) == N
    assert all((tmp_path / 'b' / p.name).read_bytes() == p.read_bytes() for p in a)
    other = dump(tiny_cfg(data, tmp_path / 'w'), tmp_path / 'seed1.py')
    pseudo_label_main([str(other), '--out', str(tmp_path / 'c'), '--cfg-options', 'randomness.seed=1'])
    assert any((tmp_path / 'c' / p.name).read_bytes() != p.read_bytes() for p in a)  # seed matters


def test_deterministic_first_epoch_losses(data, tmp_path):
    cfg = dump(tiny_cfg(data, tmp_path / 'w', iters=N // BATCH, batch=BATCH, flip=True), tmp_path / 'cfg.py')
    for run in ('a', 'b'):
        train_main([str(cfg), '--work-dir', str(tmp_path / run)])
    (a,), (b,) = scalars(tmp_path / 'a'), scalars(tmp_path / 'b')
    assert len(a) == N // BATCH
    assert [r['loss'] for r in a] == [r['loss'] for r in b]
    train_main([str(cfg), '--work-dir', str(tmp_path / 'c'), '--cfg-options', 'randomness.seed=1'])
    (c,) = scalars(tmp_path / 'c')
    assert [r['loss'] for r in c] != [r['loss'] for r in a]                        # seed matters
