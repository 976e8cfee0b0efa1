"""A real divergence mid-training: a loss term switched on at iteration 4 with a weight of
1e12 and no gradient clipping blows the weights up, and the loss turns NaN two iterations after
the first checkpoint. The run stops naming the iteration and the batch's files; the last good
checkpoint is intact, finite and a working resume point once the config is fixed."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from tests.reliability.tiny import dump, tiny_cfg
from tools.train import build_runner, parse_args
from wsseg.datasets.synthetic import make_scenes

ITERS, CKPT_EVERY, BAD_FROM = 12, 4, 4


@pytest.fixture(scope='module')
def diverged(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp('nan')
    make_scenes(root / 'data', splits={'train': 8, 'val': 2}, size=(32, 32), seed=3)
    cfg = tiny_cfg(root / 'data', root / 'w', iters=ITERS, ckpt_every=CKPT_EVERY)
    cfg.optim_wrapper.clip_grad = None
    good = dump(cfg, root / 'good.py')
    cfg.model.losses.append(dict(type='PartialCrossEntropy', weight=1e12, loss_name='loss_boost',
                                 start_iter=BAD_FROM))
    bad = dump(cfg, root / 'bad.py')
    with pytest.raises(FloatingPointError) as e:
        build_runner(parse_args([str(bad), '--work-dir', str(root / 'w')])).train()
    return dict(root=root, work=root / 'w', good=good, message=str(e.value))


def test_stops_naming_the_iteration_and_the_files(diverged):
    m = re.search(r'loss_\w+ is nan at iteration (\d+) on images \[(.*)\]', diverged['message'])
    assert m, diverged['message']
    assert int(m.group(1)) > CKPT_EVERY                       # after the first checkpoint
    files = re.findall(r"'([^']+\.png)'", m.group(2))
    assert len(files) == 4 and all(Path(f).is_file() for f in files)


def test_last_good_checkpoint_is_intact_and_finite(diverged):
    last = Path((diverged['work'] / 'last_checkpoint').read_text())
    assert last.name == f'iter_{CKPT_EVERY}.pth'
    assert not list(diverged['work'].glob('iter_8.pth')) and not list(diverged['work'].glob('.*.tmp'))
    ckpt = torch.load(last, map_location='cpu', weights_only=True)
    assert ckpt['meta']['iter'] == CKPT_EVERY
    assert all(torch.isfinite(v).all() for v in ckpt['state_dict'].values() if v.is_floating_point())


def test_resume_from_it_with_the_fixed_config_finishes(diverged):
    runner = build_runner(parse_args([str(diverged['good']), '--work-dir', str(diverged['work']), '--resume']))
    runner.train()
    assert runner.iter == ITERS
    final = torch.load(diverged['work'] / f'iter_{ITERS}.pth', map_location='cpu', weights_only=True)
    assert all(torch.isfinite(v).all() for v in final['state_dict'].values() if v.is_floating_point())

    # and a model whose weights went non-finite is never saved over the good checkpoints
    with torch.no_grad():
        runner.model.net.classifier.bias.fill_(float('inf'))
    with pytest.raises(FloatingPointError, match=r"non-finite weights \['net.classifier.bias'\].*not written"):
        runner.save_checkpoint(str(diverged['work']), 'iter_99.pth')
    assert not (diverged['work'] / 'iter_99.pth').exists()
    assert not list(diverged['work'].glob('.*.tmp'))
