"""A dataset where 1% of the images are corrupt (2 of 200 truncated): ``bad_data='stop'``
(default) stops with a DataError naming the file; ``bad_data='skip'`` carries on and a report
lists every skipped file and its error. For pseudo-labelling and for training."""
from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from tests.reliability.tiny import dump, tiny_cfg
from tools.pseudo_label import main as pseudo_label_main
from tools.train import main as train_main
from wsseg.datasets.synthetic import make_scenes
from wsseg.utils.io import DataError

N = 200


@pytest.fixture(scope='module')
def data(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp('bad1pc')
    make_scenes(root, splits={'train': N, 'val': 2}, size=(16, 16), seed=5, max_objects=1)
    images = sorted((root / 'images' / 'train').glob('*.png'))
    bad = [images[37], images[151]]
    for p in bad:
        p.write_bytes(p.read_bytes()[:60])          # truncated mid-stream
    return dict(root=root, bad=sorted(str(p) for p in bad))


def _cfg(data: dict, tmp_path: Path, **dataset) -> Path:
    cfg = tiny_cfg(data['root'], tmp_path / 'w', iters=30, batch=8, ckpt_every=30)
    cfg.train_cfg.val_interval = 31
    cfg.train_dataloader.dataset.update(dataset)
    cfg.pseudo_dataset.update(dataset)
    return dump(cfg, tmp_path / 'cfg.py')


def test_pseudo_labelling_stops_by_default_naming_the_file(data, tmp_path):
    with pytest.raises(DataError, match=rf"{data['bad'][0]}: corrupt or unreadable image"):
        pseudo_label_main([str(_cfg(data, tmp_path)), '--out', str(tmp_path / 'out')])


def test_pseudo_labelling_skips_and_reports_every_file(data, tmp_path, capsys):
    with pytest.warns(UserWarning, match="bad_data='skip'"):
        report = pseudo_label_main([str(_cfg(data, tmp_path, bad_data='skip')), '--out', str(tmp_path / 'out')])
    assert report['labelled'] == N - 2
    assert sorted(b['file'] for b in report['skipped_bad']) == data['bad']
    assert all(b['file'] in b['error'] and 'corrupt' in b['error'] for b in report['skipped_bad'])
    on_disk = json.loads((tmp_path / 'out' / 'pseudo_label_report.json').read_text())
    assert on_disk['skipped_bad'] == report['skipped_bad'] and on_disk['bad_data'] == 'skip'
    assert len(list((tmp_path / 'out').glob('*.png'))) == N - 2
    printed = capsys.readouterr().out
    assert all(f'skipped (bad data): {f}' in printed for f in data['bad'])


def test_cli_policy_overrides_the_config(data, tmp_path):
    cfg = _cfg(data, tmp_path, bad_data='skip')
    with pytest.raises(DataError, match=rf"{data['bad'][0]}: corrupt"):
        pseudo_label_main([str(cfg), '--out', str(tmp_path / 'o'), '--bad-data', 'stop'])


def test_training_stops_by_default_naming_the_file(data, tmp_path):
    with pytest.raises(DataError, match=r'scene_00(037|151)\.png: corrupt or unreadable image'):
        train_main([str(_cfg(data, tmp_path)), '--work-dir', str(tmp_path / 'w')])


def test_training_skips_from_worker_processes_and_reports(data, tmp_path):
    """Two dataloader workers append to one JSON-lines report: every bad file is listed."""
    cfg = _cfg(data, tmp_path, bad_data='skip')
    train_main([str(cfg), '--work-dir', str(tmp_path / 'w'), '--cfg-options',
                'train_dataloader.num_workers=2'])
    assert (tmp_path / 'w' / 'iter_30.pth').is_file()                  # training finished
    assert not multiprocessing.active_children()                       # the workers are gone
    lines = [json.loads(x) for x in (tmp_path / 'w' / 'bad_data.jsonl').read_text().splitlines()]
    assert sorted({rec['file'] for rec in lines}) == data['bad']
    assert all(rec['file'] in rec['error'] and 'corrupt' in rec['error'] for rec in lines)


def test_unknown_policy_is_refused(data):
    from wsseg.datasets.folder import FolderDataset
    with pytest.raises(ValueError, match=r"bad_data='ignore', expected one of \('stop', 'skip'\)"):
        FolderDataset(str(data['root']), classes=('a', 'b'), bad_data='ignore')
