"""One config of each folder (seafeats, seaclip, ensemble) trains and tests through tools/train.py
and tools/test.py on tiny synthetic seagrass frames, shortened by --cfg-options only."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tools.pretrain_simclr import main as pretrain
from tools.test import main as run_test
from tools.train import main as train_main
from wsseg.datasets.synthetic import make_seagrass_frames
from wsseg.patch.ensemble import ensemble_probs
from wsseg.patch.make_ensemble import main as make_ensemble
from wsseg.patch.runs import SYNTH_ENV, as_cli, load_trained, short_run_options
from wsseg.utils.checkpoint import CheckpointError

SHORT = as_cli(short_run_options(1, batch_size=4)) + ['default_hooks.checkpoint.save_optimizer=False']
SEAFEATS = 'configs/seafeats/seafeats_simclr_synth.py'
SEACLIP = 'configs/seaclip/seaclip_random_clip_synth.py'
ENSEMBLE = 'configs/ensemble/ensemble_synth.py'


def last_val(work_dir: Path) -> dict:
    recs = [json.loads(x) for f in work_dir.glob('*/vis_data/scalars.json') for x in f.read_text().splitlines()]
    merged = {}
    for r in recs:
        merged.update(r)
    return merged


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """Tiny frames, a tiny SimCLR run, and the SeaFeats and SeaCLIP rows trained for one epoch."""
    root = tmp_path_factory.mktemp('synth_cli')
    make_seagrass_frames(root / 'train', 8, patch=(8, 12), seed=0)
    make_seagrass_frames(root / 'test', 4, patch=(8, 12), seed=1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(SYNTH_ENV, str(root))
        torch.manual_seed(0)
        simclr = root / 'simclr.pth'
        pretrain([str(root / 'train' / 'frames'), '--out', str(simclr), '--epochs', '1', '--size', '32',
                  '--batch-size', '8'])
        out = dict(root=root, simclr=simclr)
        for name, config, extra in (('seafeats', SEAFEATS, [f'model.init_checkpoint={simclr}']),
                                    ('seaclip', SEACLIP, [])):
            wd = root / name
            train_main([config, '--work-dir', str(wd), '--cfg-options', *SHORT, *extra])
            out[name] = wd
        yield out


def test_seafeats_config_trains_and_tests(trained, monkeypatch):
    monkeypatch.setenv(SYNTH_ENV, str(trained['root']))
    wd = trained['seafeats']
    val = last_val(wd)
    assert {'macro_F1', 'weighted_F1', 'F1.Strappy', 'patch_mIoU', 'pixel_mIoU.crf',
            'pseudo/accuracy'} <= set(val)
    assert json.loads((wd / 'run_stats.json').read_text())['wall_s'] > 0
    root = trained['root'] / 'train'
    ids = [p.stem for p in (root / 'frames').rglob('*.jpg')]
    hits = [(np.load(wd / 'pseudo_labels' / f'{i}.npy') == np.load(root / 'patch_labels' / f'{i}.npy')) for i in ids]
    assert val['pseudo/accuracy'] == pytest.approx(100 * np.mean(hits))   # the labels it logged are those it wrote
    model = load_trained(SEAFEATS, wd / 'epoch_1.pth')
    simclr = torch.load(trained['simclr'], weights_only=True)['state_dict']['conv1.weight']
    assert not torch.equal(model.trunk.conv1.weight, simclr)           # trained on from the SimCLR init ...
    assert torch.allclose(model.trunk.conv1.weight, simclr, atol=0.05)  # ... for one epoch
    metrics = run_test([SEAFEATS, str(wd / 'epoch_1.pth'), '--work-dir', str(wd / 'test')])
    for key in ('accuracy', 'macro_F1', 'pixel_mIoU.coarse'):            # same model, same frames
        assert metrics[key] == pytest.approx(val[key]), key
    assert len(list((wd / 'test' / 'patch_maps').glob('*.png'))) == 4


def test_seaclip_config_trains_on_the_prompt_labels(trained, monkeypatch):
    monkeypatch.setenv(SYNTH_ENV, str(trained['root']))
    wd = trained['seaclip']
    meta = json.loads((trained['root'] / 'train' / 'labels.json').read_text())
    for fid, f in meta['frames'].items():      # SeaCLIP rule: the frame's class or background
        labels = np.load(wd / 'pseudo_labels' / f'{fid}.npy')
        assert set(np.unique(labels)) <= {f['label_index'], 3}, fid
        if f['label'] == 'Background':
            assert (labels == 3).all()
    metrics = run_test([SEACLIP, str(wd / 'epoch_1.pth'), '--work-dir', str(wd / 'test')])
    assert 0 <= metrics['macro_F1'] <= 100


def test_real_clip_config_names_the_missing_checkpoint(trained, monkeypatch, tmp_path):
    monkeypatch.setenv(SYNTH_ENV, str(trained['root']))
    with pytest.raises(CheckpointError, match='checkpoints/open_clip_vit_b32_openai.bin'):
        train_main(['configs/seaclip/seaclip_synth.py', '--work-dir', str(tmp_path), '--cfg-options', *SHORT])


def test_ensemble_config_assembles_and_tests(trained, monkeypatch):
    monkeypatch.setenv(SYNTH_ENV, str(trained['root']))
    members = [f"model.members.0.checkpoint={trained['seafeats'] / 'epoch_1.pth'}",
               f"model.members.1.checkpoint={trained['seaclip'] / 'epoch_1.pth'}"]
    out = trained['root'] / 'ensemble' / 'ensemble.pth'
    make_ensemble([ENSEMBLE, str(out), '--cfg-options', *members])
    # the saved ensemble holds its members: testing it needs no member checkpoint (the config's
    # default member paths do not exist here)
    metrics = run_test([ENSEMBLE, str(out), '--work-dir', str(out.parent)])
    assert {'accuracy', 'macro_F1', 'patch_mIoU'} <= set(metrics)
    ens = load_trained(ENSEMBLE, out)
    a, b = load_trained(SEAFEATS, trained['seafeats'] / 'epoch_1.pth'), load_trained(SEACLIP, trained['seaclip'] / 'epoch_1.pth')
    x = torch.randn(1, 3, 40, 96)
    with torch.no_grad():
        assert torch.allclose(ens(x).exp(), ensemble_probs([a(x), b(x)]), atol=1e-5)
