"""The disk fills up while pseudo-masks are written: the run stops with an error naming the
file and saying the disk is full, leaves no partial file, keeps what was written, and a rerun
after space is freed completes to the same masks as an undisturbed run."""
from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from tests.reliability.tiny import dump, tiny_cfg
from tools.pseudo_label import main as pseudo_label_main
from wsseg.datasets.synthetic import make_scenes
from wsseg.utils.io import DiskFullError

N, FIT = 8, 4          # the disk holds the first FIT masks and part of the next one


class FullDisk:
    """Stands in for ``os.fdopen``: every file opened through it shares one byte budget, and
    the write that exceeds it writes what fits, then fails with ENOSPC, as a full disk does."""

    def __init__(self, budget: int):
        self.left = budget
        self.fdopen = os.fdopen

    def __call__(self, fd, *args, **kwargs):
        return _Limited(self.fdopen(fd, *args, **kwargs), self)


class _Limited:
    def __init__(self, f, disk: FullDisk):
        self.f, self.disk = f, disk

    def write(self, data) -> int:
        if len(data) > self.disk.left:
            self.f.write(bytes(data[:self.disk.left]))
            self.f.flush()
            self.disk.left = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.disk.left -= len(data)
        return self.f.write(data)

    def __getattr__(self, name):
        return getattr(self.f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()


@pytest.fixture(scope='module')
def clean(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp('diskfull')
    make_scenes(root / 'data', splits={'train': N, 'val': 1}, size=(40, 40), seed=6)
    cfg = dump(tiny_cfg(root / 'data', root / 'w'), root / 'cfg.py')
    pseudo_label_main([str(cfg), '--out', str(root / 'clean')])
    return cfg, root / 'clean'


def test_disk_full_stops_cleanly_and_a_rerun_completes(clean, tmp_path, monkeypatch):
    cfg, ref = clean
    masks = sorted(ref.glob('*.png'))                       # written in this (index) order
    budget = sum(p.stat().st_size for p in masks[:FIT]) + masks[FIT].stat().st_size // 2
    monkeypatch.setattr(os, 'fdopen', FullDisk(budget))
    out = tmp_path / 'out'
    with pytest.raises(DiskFullError, match=rf'{out / masks[FIT].name}: disk full \(no space left'):
        pseudo_label_main([str(cfg), '--out', str(out)])
    assert sorted(p.name for p in out.glob('*.png')) == [p.name for p in masks[:FIT]]
    assert not list(out.rglob('*.tmp'))                     # the half-written file is gone
    for p in masks[:FIT]:
        assert (out / p.name).read_bytes() == p.read_bytes()

    monkeypatch.undo()                                      # space is freed
    report = pseudo_label_main([str(cfg), '--out', str(out)])
    assert (report['labelled'], report['skipped_existing']) == (N - FIT, FIT)
    for p in masks:
        assert (out / p.name).read_bytes() == p.read_bytes()
