"""Self-supervised pretraining (tools/pretrain_ssl.py) on real CamVid frames: the loss falls,
a run killed with SIGKILL resumes from its last checkpoint to the same weights, and corrupt
images follow the bad_data policy."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from wsseg.ssl import UnlabelledImages
from wsseg.ssl.losses import geometric_matches
from wsseg.utils.io import DataError

REPO = Path(__file__).resolve().parents[2]
CONFIG = str(REPO / 'configs/ssl/camvid_densecl.py')


@pytest.fixture(scope='module')
def frames(shared_data, tmp_path_factory) -> Path:
    """16 real CamVid train frames in a folder of their own."""
    out = tmp_path_factory.mktemp('frames')
    for p in sorted((shared_data / 'camvid/images/train').glob('*.jpg'))[::20][:16]:
        shutil.copy(p, out / p.name)
    return out


def options(folder: Path, iters: int, batch: int = 8, size: int = 64, interval: int = 100) -> list[str]:
    return ['--cfg-options', f'train_dataloader.dataset.folders=[{str(folder)!r}]',
            f'train_dataloader.batch_size={batch}', f'train_dataloader.dataset.size={size}',
            f'train_dataloader.dataset.length={iters * batch}', 'train_dataloader.num_workers=0',
            'train_dataloader.persistent_workers=False', f'train_cfg.max_iters={iters}',
            f'param_scheduler.0.T_max={iters}', f'default_hooks.checkpoint.interval={interval}',
            'default_hooks.logger.interval=1', 'custom_hooks.1.budgets=[]']


def losses(work: Path) -> list[float]:
    logs = sorted(work.glob('*/vis_data/scalars.json'))
    return [json.loads(line)['loss'] for f in logs for line in f.read_text().splitlines()
            if '"loss"' in line]


def test_geometric_matches_follow_crops_and_flips():
    # view 1 is view 0's crop moved right by half its width: only view 0's right half is seen,
    # and its columns 2, 3 are view 1's columns 0, 1 (3, 2 when view 1 is flipped)
    boxes = torch.tensor([[[0., 0., 8., 8.], [4., 0., 12., 8.]]])
    m = geometric_matches(boxes, torch.tensor([[False, False]]), 4).view(4, 4)
    assert (m[:, :2] == -1).all()
    assert m[:, 2].tolist() == [0, 4, 8, 12] and m[:, 3].tolist() == [1, 5, 9, 13]
    flipped = geometric_matches(boxes, torch.tensor([[False, True]]), 4).view(4, 4)
    assert flipped[:, 2].tolist() == [3, 7, 11, 15] and flipped[:, 3].tolist() == [2, 6, 10, 14]
    # flipping view 0 mirrors which of its columns are seen
    f0 = geometric_matches(boxes, torch.tensor([[True, False]]), 4).view(4, 4)
    assert (f0[:, 2:] == -1).all() and f0[:, 1].tolist() == [0, 4, 8, 12]


def test_densecl_loss_falls_on_real_frames(frames, tmp_path):
    from tools.pretrain_ssl import main
    trunk = main([CONFIG, '--work-dir', str(tmp_path / 'w'), *options(frames, iters=30)])
    curve = losses(tmp_path / 'w')
    assert len(curve) == 30 and np.isfinite(curve).all()
    assert np.mean(curve[-5:]) < np.mean(curve[:5]) - 0.1, curve
    state = torch.load(trunk, weights_only=True)
    assert state['meta']['arch'] == 'resnet18' and 'layer4.1.conv2.weight' in state['state_dict']
    # run again: the finished trunk is kept, no run starts (no new log dir, file untouched)
    runs, stamp = sorted((tmp_path / 'w').glob('2*')), trunk.stat().st_mtime_ns
    assert main([CONFIG, '--work-dir', str(tmp_path / 'w'), *options(frames, iters=30)]) == trunk
    assert sorted((tmp_path / 'w').glob('2*')) == runs and trunk.stat().st_mtime_ns == stamp


def _run(work: Path, folder: Path, iters: int) -> subprocess.Popen:
    env = dict(os.environ, OMP_NUM_THREADS='1')
    return subprocess.Popen([sys.executable, str(REPO / 'tools/pretrain_ssl.py'), CONFIG, '--work-dir',
                             str(work), *options(folder, iters, batch=4, size=48, interval=2)],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_sigkill_resumes_from_last_checkpoint_to_the_same_weights(frames, tmp_path):
    iters = 8
    ref = _run(tmp_path / 'ref', frames, iters)
    killed = _run(tmp_path / 'run', frames, iters)
    deadline = time.time() + 600
    while not (tmp_path / 'run/iter_4.pth').is_file():
        assert killed.poll() is None and time.time() < deadline, killed.stderr.read().decode()[-2000:]
        time.sleep(0.2)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert not (tmp_path / 'run/trunk.pth').exists()
    resumed = _run(tmp_path / 'run', frames, iters)
    _, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err.decode()[-2000:]
    assert b'Advance dataloader' in err or 'Advance dataloader' in ''.join(
        p.read_text() for p in (tmp_path / 'run').glob('*/*.log'))
    assert ref.wait(timeout=600) == 0
    a = torch.load(tmp_path / 'ref/trunk.pth', weights_only=True)['state_dict']
    b = torch.load(tmp_path / 'run/trunk.pth', weights_only=True)['state_dict']
    for k in a:
        torch.testing.assert_close(b[k], a[k], rtol=1e-5, atol=1e-6, msg=k)


def test_corrupt_images_stop_or_are_skipped_and_listed(frames, tmp_path):
    folder = tmp_path / 'imgs'
    shutil.copytree(frames, folder)
    (folder / 'broken.jpg').write_bytes(b'\x89PNG\r\n\x1a\n not really')
    ds = UnlabelledImages([str(folder)], size=32, length=40)
    with pytest.raises(DataError, match='broken.jpg'):
        [ds[i] for i in range(len(ds))]
    report = tmp_path / 'bad.jsonl'
    ds = UnlabelledImages([str(folder)], size=32, length=40, bad_data='skip', bad_data_report=str(report))
    views = [ds[i]['inputs'] for i in range(len(ds))]
    assert all(v.shape == (2, 3, 32, 32) for v in views)
    assert [json.loads(line)['file'] for line in report.read_text().splitlines()] == [str(folder / 'broken.jpg')]


def test_empty_or_missing_folder_is_an_error(tmp_path):
    (tmp_path / 'empty').mkdir()
    with pytest.raises(DataError, match='empty: no image'):
        UnlabelledImages([str(tmp_path / 'empty')])
    with pytest.raises(DataError, match='nowhere: unlabelled-image folder not found'):
        UnlabelledImages([str(tmp_path / 'nowhere')])


def test_views_are_a_function_of_seed_and_index(frames):
    a, b = UnlabelledImages([str(frames)], size=32, length=50), UnlabelledImages([str(frames)], size=32, length=50)
    assert torch.equal(a[37]['inputs'], b[37]['inputs']) and torch.equal(a[37]['boxes'], b[37]['boxes'])
    assert not torch.equal(a[36]['inputs'], a[37]['inputs'])
    # every image once per epoch of 16 samples
    assert sorted(a.image_index(i) for i in range(16)) == list(range(16))


def test_ssl_features_probe_and_pca(shared_data, tmp_path):
    """tools/ssl_features.py: the probe scores each trunk on the real val frames, normalising
    input as the pretraining network does, and the PCA figure is drawn."""
    sys.path.insert(0, str(REPO))
    from tools.ssl_features import build_trunk, features, main
    from wsseg.models.resnet_trunk import ResNetTrunk, save_trunk
    torch.manual_seed(3)
    other = save_trunk(tmp_path / 'other.pth', ResNetTrunk(18).state_dict(), dict(arch='resnet18'))
    net = build_trunk(str(other))
    x = np.full((64, 64, 3), 128, np.uint8)
    by_hand = net.trunk((torch.full((1, 3, 64, 64), 128.0) - net.mean) / net.std)
    assert torch.allclose(features(net, [x]), by_hand)
    rows = main(['--trunks', 'random', str(other), '--names', 'random', 'other', '--data',
                 str(shared_data / 'camvid'), '--train-frames', '4', '--steps', '5',
                 '--out', str(tmp_path / 'probe'), '--pca-figure', str(tmp_path / 'pca.png')])
    assert [r['trunk'] for r in rows] == ['random', 'other']
    assert all(0 <= r['mIoU'] <= 100 for r in rows) and rows[0]['mIoU'] != rows[1]['mIoU']
    assert json.loads((tmp_path / 'probe' / 'probe.json').read_text()) == rows
    assert (tmp_path / 'pca.png').stat().st_size > 10_000
