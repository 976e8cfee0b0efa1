"""Files written through the atomic writer get the permissions a plain ``open()`` would give
(0666 less the umask), not ``mkstemp``'s 0600: on a shared folder the team must be able to read
pseudo-masks, reports, ``last_checkpoint``, weak-label files, figures and generated data."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest

from wsseg.datasets.base import append_bad_data_report
from wsseg.datasets.synthetic import make_scenes
from wsseg.structures import WeakLabels
from wsseg.utils.io import atomic_write, write_json_atomic, write_png_atomic
from wsseg.visualization.plots import plot_confusion
from wsseg.weak.stored import save_weak_labels


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@pytest.fixture(params=[0o022, 0o002, 0o077])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def _writers(d: Path) -> dict:
    weak = WeakLabels(image_size=(4, 4), tags=[1], scribbles=np.full((4, 4), 1, np.uint8))

    def raw(p):
        with atomic_write(p) as f:
            f.write(b'x')
    return {
        'atomic_write': lambda: raw(d / 'last_checkpoint'),
        'png': lambda: write_png_atomic(d / 'mask.png', np.zeros((4, 4), np.uint8)),
        'json': lambda: write_json_atomic(d / 'report.json', {'a': 1}),
        'weak json': lambda: save_weak_labels(weak, d / 'weak', 'img'),
        'weak png': lambda: None,      # written by 'weak json' (img_scribbles.png)
        'bad-data report': lambda: append_bad_data_report(d / 'bad.jsonl', 'f.png', 'corrupt'),
        'figure': lambda: plot_confusion(np.eye(2, dtype=np.int64), ['a', 'b'], d / 'cm.png'),
    }


def test_atomic_writes_follow_the_umask_like_open(tmp_path, umask):
    with open(tmp_path / 'plain', 'wb') as f:
        f.write(b'x')
    expected = _mode(tmp_path / 'plain')
    assert expected == 0o666 & ~umask
    for fn in _writers(tmp_path).values():
        fn()
    files = {'atomic_write': 'last_checkpoint', 'png': 'mask.png', 'json': 'report.json',
             'weak json': 'weak/img.json', 'weak png': 'weak/img_scribbles.png',
             'bad-data report': 'bad.jsonl', 'figure': 'cm.png'}
    modes = {k: oct(_mode(tmp_path / f)) for k, f in files.items()}
    assert modes == {k: oct(expected) for k in files}


def test_generated_data_follows_the_umask(tmp_path, umask):
    make_scenes(tmp_path, splits={'train': 1}, size=(8, 8), seed=0)
    files = [p for p in tmp_path.rglob('*') if p.is_file()]
    assert files and {oct(_mode(p)) for p in files} == {oct(0o666 & ~umask)}


def test_replacing_a_file_keeps_no_stricter_mode(tmp_path, umask):
    p = tmp_path / 'r.json'
    write_json_atomic(p, 1)
    write_json_atomic(p, 2)
    assert _mode(p) == 0o666 & ~umask and p.read_text() == '2'
