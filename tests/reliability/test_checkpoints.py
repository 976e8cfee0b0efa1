"""Checkpoints load under ``torch.load(weights_only=True)`` only: a tampered file (a pickle
whose payload would run a shell command) and a truncated one are refused with an error naming
the file, on resume, in tools/test.py and in load_state_dict_file, and the payload never runs."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from tests.reliability.tiny import dump, tiny_cfg
from tools.test import main as evaluate_main
from tools.train import main as train_main
from wsseg.datasets.synthetic import make_scenes
from wsseg.utils.checkpoint import CheckpointError, load_state_dict_file


class Payload:
    """Unpickling this runs ``touch <marker>``."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}',)


@pytest.fixture(scope='module')
def trained(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp('ckpt')
    make_scenes(root / 'data', splits={'train': 4, 'val': 2}, size=(32, 32), seed=2)
    cfg = dump(tiny_cfg(root / 'data', root / 'w', iters=2, ckpt_every=2), root / 'cfg.py')
    train_main([str(cfg), '--work-dir', str(root / 'w')])
    good = root / 'w' / 'iter_2.pth'
    marker = root / 'PAYLOAD_RAN'
    tampered = root / 'tampered.pth'
    torch.save(dict(meta=dict(iter=2), state_dict=Payload(marker)), tampered)
    truncated = root / 'truncated.pth'
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    return dict(root=root, cfg=cfg, good=good, marker=marker, tampered=tampered, truncated=truncated)


def test_own_checkpoints_are_plain_data(trained):
    ckpt = torch.load(trained['good'], map_location='cpu', weights_only=True)
    assert ckpt['meta']['iter'] == 2 and isinstance(ckpt['meta']['rng']['cpu'], torch.Tensor)
    assert load_state_dict_file(trained['good'], 'wsseg').keys() == ckpt['state_dict'].keys()


@pytest.mark.parametrize('bad', ['tampered', 'truncated'])
def test_load_state_dict_file_refuses(trained, bad):
    with pytest.raises(CheckpointError, match=rf"{trained[bad].name}: cannot load .*weights_only"):
        load_state_dict_file(trained[bad], 'wsseg')
    assert not trained['marker'].exists()


@pytest.mark.parametrize('bad', ['tampered', 'truncated'])
def test_tools_test_refuses(trained, bad, tmp_path):
    with pytest.raises(CheckpointError, match=rf"{trained[bad].name}: cannot load .*weights_only"):
        evaluate_main([str(trained['cfg']), str(trained[bad]), '--work-dir', str(tmp_path)])
    assert not trained['marker'].exists()


@pytest.mark.parametrize('bad', ['tampered', 'truncated'])
def test_resume_from_a_given_file_refuses(trained, bad, tmp_path):
    with pytest.raises(CheckpointError, match=rf"{trained[bad].name}: cannot load .*weights_only"):
        train_main([str(trained['cfg']), '--work-dir', str(tmp_path), '--resume', str(trained[bad])])
    assert not trained['marker'].exists()


def test_auto_resume_refuses_a_tampered_last_checkpoint(trained, tmp_path):
    work = tmp_path / 'w'
    work.mkdir()
    (work / 'iter_2.pth').write_bytes(trained['tampered'].read_bytes())
    (work / 'last_checkpoint').write_text(str(work / 'iter_2.pth'))
    with pytest.raises(CheckpointError, match=r'iter_2\.pth: cannot load'):
        train_main([str(trained['cfg']), '--work-dir', str(work), '--resume'])
    assert not trained['marker'].exists()


def test_not_a_training_checkpoint_is_named(trained, tmp_path):
    bare = tmp_path / 'bare.pth'
    torch.save(load_state_dict_file(trained['good'], 'wsseg'), bare)      # weights only
    with pytest.raises(CheckpointError, match=r'bare\.pth: not a training checkpoint'):
        train_main([str(trained['cfg']), '--work-dir', str(tmp_path / 'w'), '--resume', str(bare)])
    listed = tmp_path / 'list.pth'
    torch.save([1, 2], listed)
    with pytest.raises(CheckpointError, match=r'list\.pth: not a wsseg checkpoint'):
        load_state_dict_file(listed, 'wsseg')


def test_the_payload_is_live(trained, tmp_path):
    """The guard is what stops it: unpickling without weights_only does run the command."""
    live = tmp_path / 'live.pth'
    torch.save(Payload(tmp_path / 'RAN'), live)
    torch.load(live, weights_only=False)
    assert (tmp_path / 'RAN').exists()
