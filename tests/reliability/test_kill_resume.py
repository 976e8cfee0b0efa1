"""SIGKILL a real tools/pseudo_label.py and a real tools/train.py in the middle, rerun with
resume, and compare with a clean uninterrupted run."""
from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
import torch

from tests.reliability.tiny import dump, scalars, start_tool, tiny_cfg, wait_for
from tools.pseudo_label import main as pseudo_label_main
from tools.train import main as train_main
from wsseg.datasets.synthetic import make_scenes

N_IMAGES = 30
ITERS, CKPT_EVERY = 16, 4


@pytest.fixture(scope='module')
def data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp('kill')
    make_scenes(root / 'data', splits={'train': N_IMAGES, 'val': 2}, size=(64, 64), seed=21)
    make_scenes(root / 'small', splits={'train': 8, 'val': 2}, size=(32, 32), seed=22)
    return root


def _kill(proc) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=60) == -signal.SIGKILL


def test_killed_pseudo_labelling_resumes_without_loss_or_duplicates(data, tmp_path, capsys):
    cfg = dump(tiny_cfg(data / 'data', tmp_path / 'w'), tmp_path / 'cfg.py')
    out = tmp_path / 'masks'
    proc = start_tool(['tools/pseudo_label.py', str(cfg), '--out', str(out)], tmp_path / 'log.txt')
    wait_for(lambda: out.is_dir() and len(list(out.glob('*.png'))) >= 3, proc)
    _kill(proc)
    done_before = {p.name: p.read_bytes() for p in out.glob('*.png')}
    assert 3 <= len(done_before) < N_IMAGES, 'the kill did not land mid-run'

    pseudo_label_main([str(cfg), '--out', str(out)])                 # the rerun, in-process
    report = json.loads((out / 'pseudo_label_report.json').read_text())
    assert report['skipped_existing'] == len(done_before)            # nothing redone ...
    assert report['labelled'] == N_IMAGES - len(done_before)         # ... nothing lost
    assert f"{N_IMAGES - len(done_before)} written" in capsys.readouterr().out
    assert not list(out.rglob('*.tmp'))
    for name, content in done_before.items():                        # kept as they were
        assert (out / name).read_bytes() == content

    clean = tmp_path / 'clean'
    pseudo_label_main([str(cfg), '--out', str(clean)])          # in-process, also 1 thread
    assert sorted(p.name for p in out.glob('*.png')) == sorted(p.name for p in clean.glob('*.png'))
    for p in clean.glob('*.png'):
        assert (out / p.name).read_bytes() == p.read_bytes(), p.name


@pytest.fixture(scope='module')
def train_cfg(data) -> Path:
    """Random flips (numpy RNG), ASPP dropout (torch RNG) and a validation every 8
    iterations: everything a resume must replay exactly; deterministic CPU mode. The killed
    run is a subprocess; the resumed and the reference runs are in this process (one thread,
    like the subprocess), and equal to the last bit."""
    cfg = tiny_cfg(data / 'small', data / 'unused', iters=ITERS, ckpt_every=CKPT_EVERY, flip=True)
    cfg.train_cfg.val_interval = 8
    return dump(cfg, data / 'train_cfg.py')


def test_killed_training_resumes_to_the_uninterrupted_weights(train_cfg, tmp_path):
    work = tmp_path / 'work'
    proc = start_tool(['tools/train.py', str(train_cfg), '--work-dir', str(work)], tmp_path / 'log.txt')
    wait_for(lambda: (work / 'iter_8.pth').is_file(), proc)
    _kill(proc)
    assert not (work / f'iter_{ITERS}.pth').exists(), 'the kill did not land mid-run'
    resume_from = Path((work / 'last_checkpoint').read_text())
    start = int(resume_from.stem.split('_')[1])
    assert start >= CKPT_EVERY and resume_from.is_file()
    torch.load(resume_from, map_location='cpu', weights_only=True)       # complete, loadable

    train_main([str(train_cfg), '--work-dir', str(work), '--resume'])   # in-process, 1 thread
    ref = tmp_path / 'ref'
    train_main([str(train_cfg), '--work-dir', str(ref)])

    killed, resumed = scalars(work)
    assert [r['iter'] for r in killed] == list(range(1, len(killed) + 1))   # up to the kill
    assert len(killed) >= start
    assert [r['iter'] for r in resumed] == list(range(start + 1, ITERS + 1))  # no gap, no repeat
    (full,) = scalars(ref)
    assert [r['loss'] for r in killed] == [r['loss'] for r in full[:len(killed)]]
    assert [r['loss'] for r in resumed] == [r['loss'] for r in full[start:]]

    a = torch.load(work / f'iter_{ITERS}.pth', map_location='cpu', weights_only=True)
    b = torch.load(ref / f'iter_{ITERS}.pth', map_location='cpu', weights_only=True)
    assert a['meta']['iter'] == b['meta']['iter'] == ITERS
    for k, v in b['state_dict'].items():
        assert torch.equal(a['state_dict'][k], v), k
    assert not list(work.glob('.*.tmp'))
