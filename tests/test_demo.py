"""The README's first command, shrunk: tools/demo.py end to end on a few synthetic scenes."""
from __future__ import annotations

import json

from tools.demo import main


def test_demo_end_to_end(tmp_path):
    out = tmp_path / 'demo'
    summary = main(['--out', str(out), '--iters', '4', '--n-train', '6', '--n-val', '3'])
    for name in ('overlays_train.png', 'overlays_val.png', 'summary.json'):
        assert (out / name).stat().st_size > 0, name
    assert len(list((out / 'pseudo_masks' / 'train').glob('*.png'))) == 6
    assert len(list((out / 'predictions' / 'val').glob('*.png'))) == 3
    assert set(json.loads((out / 'summary.json').read_text())) == set(summary)
    assert 1.0 < summary['scribble_labelled_pct'] < 6.0      # ~3% of pixels by default
    assert summary['scribble_pixel_acc'] == 100.0              # simulated from the truth
    assert 0.0 <= summary['val_mIoU'] <= 100.0
    # pseudo-masks keep the scribbles, so they agree with the truth at least there
    assert summary['pseudo_mask_mIoU'] > 0.0
