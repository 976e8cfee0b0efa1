"""Resume redoes a broken pseudo-mask instead of counting it as finished: a 0-byte PNG, a PNG
cut short (no IEND chunk), and a file that is not a PNG at all are labelled again, a whole
PNG is kept as it is, and the rerun's report and printed summary say how many were redone."""
from __future__ import annotations

import json

import pytest

from tests.reliability.tiny import dump, tiny_cfg
from tools.pseudo_label import main as pseudo_label_main
from wsseg.datasets.synthetic import make_scenes

N = 6


@pytest.fixture(scope='module')
def first_run(tmp_path_factory):
    root = tmp_path_factory.mktemp('resume_broken')
    make_scenes(root / 'data', splits={'train': N, 'val': 1}, size=(16, 16), seed=3)
    cfg = dump(tiny_cfg(root / 'data', root / 'w'), root / 'cfg.py')
    out = root / 'clean'
    pseudo_label_main([str(cfg), '--out', str(out)])
    return cfg, {p.name: p.read_bytes() for p in sorted(out.glob('*.png'))}


def test_broken_outputs_are_redone_and_counted(first_run, tmp_path, capsys):
    cfg, clean = first_run
    out = tmp_path / 'out'
    out.mkdir()
    names = sorted(clean)
    for n in names:
        (out / n).write_bytes(clean[n])
    (out / names[0]).write_bytes(b'')                                  # 0 bytes
    (out / names[1]).write_bytes(clean[names[1]][:-12])               # IEND chunk cut off
    (out / names[2]).write_bytes(clean[names[2]][: len(clean[names[2]]) // 2])
    (out / names[3]).write_bytes(b'GIF89a' + clean[names[3]][6:])     # not a PNG signature
    capsys.readouterr()
    report = pseudo_label_main([str(cfg), '--out', str(out)])
    assert report['redone_broken'] == 4
    assert report['skipped_existing'] == N - 4 and report['labelled'] == 4
    on_disk = json.loads((out / 'pseudo_label_report.json').read_text())
    assert on_disk['redone_broken'] == 4
    assert '4 broken output(s) redone' in capsys.readouterr().out
    for n in names:                            # the same network, so the same masks as before
        assert (out / n).read_bytes() == clean[n], n


def test_whole_outputs_are_not_redone(first_run, tmp_path):
    cfg, clean = first_run
    out = tmp_path / 'out'
    out.mkdir()
    for n, b in clean.items():
        (out / n).write_bytes(b)
    report = pseudo_label_main([str(cfg), '--out', str(out)])
    assert report['redone_broken'] == 0 and report['skipped_existing'] == N


def test_finished_png_reads_only_the_ends(tmp_path, first_run):
    from wsseg.pseudo.base import finished_png
    _, clean = first_run
    good = next(iter(clean.values()))
    p = tmp_path / 'a.png'
    p.write_bytes(good)
    assert finished_png(p)
    for bad in (b'', good[:8], good[:-1], b'\x00' * len(good)):
        p.write_bytes(bad)
        assert not finished_png(p)
    assert not finished_png(tmp_path / 'missing.png') and not finished_png(tmp_path)
