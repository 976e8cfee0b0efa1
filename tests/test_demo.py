"""The README's first command, shrunk: tools/demo.py end to end on a few synthetic scenes."""
from __future__ import annotations

import json
import re
from pathlib import Path

import torch

from tools.demo import main
from wsseg.utils.autocast import native


def test_demo_end_to_end(tmp_path, capsys):
    out = tmp_path / 'demo'
    summary = main(['--out', str(out), '--iters', '4', '--n-train', '6', '--n-val', '3'])
    console = capsys.readouterr()
    for name in ('overlays_train.png', 'overlays_val.png', 'summary.json', 'report/index.html',
                 'report/metrics.json', 'report/confusion.png'):
        assert (out / name).stat().st_size > 0, name
    assert len(list((out / 'pseudo_masks' / 'train').glob('*.png'))) == 6
    assert len(list((out / 'predictions' / 'val').glob('*.png'))) == 3
    assert set(json.loads((out / 'summary.json').read_text())) == set(summary)
    assert 1.0 < summary['scribble_labelled_pct'] < 6.0      # ~3% of pixels by default
    assert summary['scribble_pixel_acc'] == 100.0              # simulated from the truth
    assert 0.0 <= summary['val_mIoU'] <= 100.0
    # pseudo-masks keep the scribbles, so they agree with the truth at least there
    assert summary['pseudo_mask_mIoU'] > 0.0
    # the report scores the same pseudo-masks, over the 6 train images
    report = json.loads((out / 'report' / 'metrics.json').read_text())
    assert round(report['mIoU'], 2) == summary['pseudo_mask_mIoU'] and report['counts']['scored'] == 6
    assert len(re.findall('class="gallery-row"', (out / 'report/index.html').read_text())) == 6

    # the console: the steps, progress bars and results; mmengine's dumps only in the log file
    text = console.out + console.err
    assert [ln[:5] for ln in text.splitlines() if re.match(r'\[\d/5\]', ln)] == \
        ['[1/5]', '[2/5]', '[3/5]', '[4/5]', '[5/5]']
    step3 = next(ln for ln in text.splitlines() if ln.startswith('[3/5]'))
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    assert step3.endswith(' forward') and ('bfloat16 forward' in step3) == native(device, torch.bfloat16)
    for dump in ('System environment', 'Config:', 'Hooks will be executed', 'mmengine - INFO', 'WARNING'):
        assert dump not in text, dump
    log = Path(summary['log'])
    assert text.count(str(log)) == 1 and str(summary['report']) in text
    logged = log.read_text()
    assert 'System environment' in logged and 'Hooks will be executed' in logged and 'Iter(train)' in logged
    assert len(text.replace('\r', '\n').splitlines()) < 80
