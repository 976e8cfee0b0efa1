"""File names that are not valid UTF-8 (bytes such as 0xff, kept by Python as surrogate
escapes) are printed, not a ``UnicodeEncodeError``, by tools/eval_masks.py and
tools/pseudo_label.py. pytest's captured stdout is a strict UTF-8 text stream, as a terminal
or pipe is under a UTF-8 locale."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.reliability.tiny import dump, tiny_cfg
from tools.eval_masks import main as eval_masks_main
from tools.pseudo_label import main as pseudo_label_main
from wsseg.datasets.synthetic import make_scenes
from wsseg.utils.io import write_png_atomic

ODD = os.fsdecode(b'caf\xe9_\xff')          # Latin-1 bytes: not UTF-8


@pytest.fixture
def strict_utf8_stdout(capsys):
    import sys
    assert sys.stdout.encoding.lower().replace('-', '') == 'utf8' and sys.stdout.errors == 'strict'
    return capsys


def _undecodable_ok(tmp_path: Path) -> None:
    try:
        (tmp_path / ODD).touch()
    except (UnicodeEncodeError, OSError):
        pytest.skip('this file system refuses file names that are not UTF-8')
    (tmp_path / ODD).unlink()


def test_eval_masks_prints_any_name(tmp_path, strict_utf8_stdout):
    _undecodable_ok(tmp_path)
    pred, gt = tmp_path / 'pred', tmp_path / ODD
    m = np.zeros((6, 6), np.uint8)
    m[2:, 2:] = 1
    for d in (pred, gt):
        write_png_atomic(d / f'{ODD}.png', m)
    write_png_atomic(pred / f'only_{ODD}.png', m)            # no ground truth: listed as skipped
    out = tmp_path / f'eval_{ODD}'
    result = eval_masks_main([str(pred), str(gt), '--num-classes', '2', '--allow-missing',
                              '--out', str(out), '--no-progress'])
    printed = strict_utf8_stdout.readouterr().out
    assert result['mIoU'] == 100.0
    assert 'skipped (no ground truth)' in printed and 'only_caf' in printed
    assert 'wrote ' in printed and (out / 'metrics.json').is_file()
    on_disk = json.loads((out / 'metrics.json').read_text())
    assert on_disk['missing']['no_ground_truth'] == [str(pred / f'only_{ODD}.png')]   # round-trips


def test_pseudo_label_prints_any_name(tmp_path, strict_utf8_stdout):
    _undecodable_ok(tmp_path)
    data = tmp_path / 'data'
    make_scenes(data, splits={'train': 3, 'val': 1}, size=(16, 16), seed=4)
    img = sorted((data / 'images' / 'train').glob('*.png'))[0]
    mask = data / 'masks' / 'train' / img.name
    bad_img = img.with_name(f'{ODD}.png')
    img.rename(bad_img)
    mask.rename(mask.with_name(f'{ODD}.png'))
    bad_img.write_bytes(bad_img.read_bytes()[:60])            # truncated: skipped as bad data
    cfg = tiny_cfg(data, tmp_path / 'w')
    cfg.pseudo_dataset.bad_data = 'skip'
    out = tmp_path / f'out_{ODD}'
    with pytest.warns(UserWarning, match="bad_data='skip'"):
        report = pseudo_label_main([str(dump(cfg, tmp_path / 'cfg.py')), '--out', str(out)])
    printed = strict_utf8_stdout.readouterr().out
    assert report['labelled'] == 2 and [b['file'] for b in report['skipped_bad']] == [str(bad_img)]
    assert '2 written' in printed and 'skipped (bad data): ' in printed and 'out_caf' in printed
    shutil.rmtree(out)
