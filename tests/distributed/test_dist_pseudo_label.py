"""Sharded pseudo-labelling through tools/dist_pseudo_label.sh: 2 CPU ranks (gloo) write
every image exactly once, byte-identical to one process, and rank 0 merges the reports."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.reliability.tiny import dump, free_port, run_tool, tiny_cfg
from tools.pseudo_label import main as pseudo_label_main
from wsseg.datasets.synthetic import make_scenes

N = 9     # odd: rank 0 gets 5 images, rank 1 gets 4


@pytest.fixture(scope='module')
def runs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp('dist_pseudo')
    make_scenes(root / 'data', splits={'train': N, 'val': 1}, size=(40, 40), seed=4)
    cfg = tiny_cfg(root / 'data', root / 'w')        # a randomly initialised network, seed 0
    path = dump(cfg, root / 'cfg.py')
    run_tool(['tools/dist_pseudo_label.sh', str(path), '2', '--out', str(root / 'two')],
             PORT=str(free_port()))
    pseudo_label_main([str(path), '--out', str(root / 'one')])   # one process, in this one
    return root


def test_every_image_written_once_by_its_rank(runs):
    report = json.loads((runs / 'two' / 'pseudo_label_report.json').read_text())
    assert report['world_size'] == 2 and report['images'] == N
    assert report['labelled'] == N and report['skipped_existing'] == 0
    assert [(r['rank'], r['images'], r['labelled']) for r in report['per_rank']] == [(0, 5, 5), (1, 4, 4)]
    assert not list((runs / 'two').glob('pseudo_label_report.rank*.json'))   # merged, removed
    assert not list((runs / 'two').rglob('*.tmp'))
    stems = sorted(p.stem for p in (runs / 'data' / 'images' / 'train').glob('*.png'))
    assert sorted(p.stem for p in (runs / 'two').glob('*.png')) == stems


def test_two_ranks_byte_identical_to_one_process(runs):
    one = sorted((runs / 'one').glob('*.png'))
    assert len(one) == N
    for p in one:
        assert (runs / 'two' / p.name).read_bytes() == p.read_bytes(), p.name
    single = json.loads((runs / 'one' / 'pseudo_label_report.json').read_text())
    assert single['world_size'] == 1 and single['labelled'] == N


def test_rerun_with_other_world_size_skips_everything(runs, capsys):
    """Resume is per image, so any number of ranks can finish a run: nothing is redone."""
    report = pseudo_label_main([str(runs / 'cfg.py'), '--out', str(runs / 'two')])
    assert report['labelled'] == 0 and report['skipped_existing'] == N
    assert f'0 written, {N} already done' in capsys.readouterr().out
