"""tools/eval_masks.py end to end on mask folders in tmp_path (and on real CamVid masks)."""
from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from wsseg.utils.io import DataError, write_png_atomic


@pytest.fixture(scope='module')
def eval_masks(repo_root):
    spec = importlib.util.spec_from_file_location('eval_masks', repo_root / 'tools' / 'eval_masks.py')
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def half_mask() -> np.ndarray:
    """4x4: left half class 0, right half class 1."""
    m = np.zeros((4, 4), np.uint8)
    m[:, 2:] = 1
    return m


def write(folder, name, mask):
    write_png_atomic(folder / f'{name}.png', mask)


def test_perfect_prediction(tmp_path, eval_masks):
    gt, pred = tmp_path / 'gt', tmp_path / 'pred'
    rng = np.random.default_rng(0)
    for i in range(3):
        m = rng.integers(0, 3, (6, 7)).astype(np.uint8)
        m[0, 0] = 255
        write(gt, f'im{i}', m)
        write(pred, f'im{i}', np.where(m == 255, 0, m).astype(np.uint8))
    res = eval_masks.main([str(pred), str(gt), '--classes', 'a,b,c', '--no-progress'])
    assert res['mIoU'] == pytest.approx(100.0) and res['aAcc'] == pytest.approx(100.0)
    assert res['num_images'] == 3 and res['labelled_fraction'] == 1.0
    assert list(res['per_class']) == ['a', 'b', 'c']
    out = tmp_path / 'eval'                               # default: PRED_DIR/../eval
    assert json.loads((out / 'metrics.json').read_text())['mIoU'] == pytest.approx(100.0)
    with Image.open(out / 'confusion.png') as im:
        im.verify()
    assert (out / 'confusion.png').stat().st_size > 0


def test_known_corruption_and_undecided_pixels(tmp_path, eval_masks, capsys):
    gt, pred = tmp_path / 'gt', tmp_path / 'pred'
    write(gt, 'a', half_mask())
    p = half_mask()
    p[0, 2] = p[1, 2] = 0            # two class-1 pixels predicted as 0
    p[3, 0] = 255                    # one undecided pixel (pseudo-mask): not scored
    write(pred, 'a', p)
    res = eval_masks.main([str(pred), str(gt), '--num-classes', '2', '--out', str(tmp_path / 'o'),
                           '--no-progress'])
    # class 0: tp 7 (8 gt minus the undecided one), predicted 9 -> IoU 7 / (7 + 9 - 7)
    # class 1: tp 6, gt 8, predicted 6 -> IoU 6 / 8
    iou0, iou1 = 7 / 9, 6 / 8
    assert res['per_class']['0']['IoU'] == pytest.approx(100 * iou0)
    assert res['per_class']['1']['IoU'] == pytest.approx(100 * iou1)
    assert res['mIoU'] == pytest.approx(100 * (iou0 + iou1) / 2)
    assert res['aAcc'] == pytest.approx(100 * 13 / 15)
    assert res['per_class']['1']['recall'] == pytest.approx(75.0)
    assert res['per_class']['0']['precision'] == pytest.approx(100 * 7 / 9)
    assert res['per_class']['1']['F1'] == pytest.approx(100 * 2 * 6 / (8 + 6))
    assert res['labelled_fraction'] == pytest.approx(15 / 16)
    assert res['confusion_matrix'] == [[7, 0], [2, 6]]
    printed = capsys.readouterr().out
    assert 'mIoU' in printed and 'labelled fraction 0.9375' in printed
    assert (tmp_path / 'o' / 'confusion.png').is_file()


def test_missing_counterpart(tmp_path, eval_masks):
    gt, pred = tmp_path / 'gt', tmp_path / 'pred'
    for n in ('a', 'b'):
        write(gt, n, half_mask())
    write(pred, 'a', half_mask())
    write(pred, 'zz_extra', half_mask())
    with pytest.raises(DataError, match=r'gt[/\\]b\.png') as e:
        eval_masks.main([str(pred), str(gt), '--num-classes', '2', '--no-progress'])
    assert 'zz_extra.png' in str(e.value)
    res = eval_masks.main([str(pred), str(gt), '--num-classes', '2', '--allow-missing', '--no-progress'])
    assert res['num_images'] == 1 and res['mIoU'] == pytest.approx(100.0)
    assert res['missing']['no_prediction'][0].endswith('b.png')
    assert res['missing']['no_ground_truth'][0].endswith('zz_extra.png')


def test_wrong_size_and_bad_values(tmp_path, eval_masks):
    gt, pred = tmp_path / 'gt', tmp_path / 'pred'
    write(gt, 'a', half_mask())
    write(pred, 'a', np.zeros((4, 5), np.uint8))
    with pytest.raises(DataError, match=r'pred[/\\]a\.png: prediction size 5x4.*4x4'):
        eval_masks.main([str(pred), str(gt), '--num-classes', '2', '--no-progress'])
    write(pred, 'a', np.full((4, 4), 7, np.uint8))
    with pytest.raises(DataError, match=r'a\.png: mask values \[7\]'):
        eval_masks.main([str(pred), str(gt), '--num-classes', '2', '--no-progress'])
    with pytest.raises(ValueError, match='--num-classes or --classes'):
        eval_masks.main([str(pred), str(gt), '--no-progress'])
    with pytest.raises(DataError, match='mask folder not found'):
        eval_masks.main([str(tmp_path / 'nope'), str(gt), '--num-classes', '2'])


def test_classes_txt_and_script_entry(tmp_path, repo_root):
    """Run as a script (sys.path set by the tool); class names from the dataset's classes.txt."""
    gt, pred = tmp_path / 'data' / 'masks' / 'val', tmp_path / 'pred'
    write(gt, 'a', half_mask())
    write(pred, 'a', half_mask())
    (tmp_path / 'data' / 'classes.txt').write_text('sand\nseagrass\n')
    r = subprocess.run([sys.executable, str(repo_root / 'tools' / 'eval_masks.py'), str(pred), str(gt),
                        '--no-progress'], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert r.returncode == 0, r.stderr
    assert 'seagrass' in r.stdout
    res = json.loads((tmp_path / 'eval' / 'metrics.json').read_text())
    assert res['classes'] == ['sand', 'seagrass'] and res['mIoU'] == pytest.approx(100.0)
    write(pred, 'a', np.zeros((2, 2), np.uint8))
    r = subprocess.run([sys.executable, str(repo_root / 'tools' / 'eval_masks.py'), str(pred), str(gt),
                        '--no-progress'], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert r.returncode != 0 and 'a.png' in r.stderr and 'Traceback' not in r.stderr


def test_real_camvid_masks(shared_data, tmp_path, eval_masks):
    """Real CamVid ground truth: a copy scores 100; blanking a region to 255 lowers coverage only,
    relabelling it lowers the IoU of the classes involved by the hand-counted amounts."""
    src = sorted((shared_data / 'camvid' / 'masks' / 'val').glob('*.png'))[:4]
    if len(src) < 4:
        pytest.skip('CamVid val masks not found')
    gt = tmp_path / 'gt'
    gt.mkdir()
    for p in src:
        shutil.copy(p, gt / p.name)
    pred = tmp_path / 'pred'
    shutil.copytree(gt, pred)
    m = np.asarray(Image.open(pred / src[0].name)).copy()
    m[:30, :] = 255                                         # undecided rows
    write_png_atomic(pred / src[0].name, m)
    res = eval_masks.main([str(pred), str(gt), '--num-classes', '11', '--no-progress'])
    gts = [np.asarray(Image.open(p)) for p in src]
    total = sum(g.size for g in gts)
    labelled = sum(int((g != 255).sum()) for g in gts) - int((gts[0][:30] != 255).sum())
    assert res['labelled_fraction'] == pytest.approx(labelled / total)
    assert res['mIoU'] == pytest.approx(100.0)
    # relabel every scored pixel of the first mask as class 3 (road)
    g0 = np.asarray(Image.open(gt / src[0].name))
    write_png_atomic(pred / src[0].name, np.where(g0 == 255, 255, 3).astype(np.uint8))
    res = eval_masks.main([str(pred), str(gt), '--num-classes', '11', '--no-progress'])
    n_road = sum(int((g == 3).sum()) for g in gts)
    wrong = int(((g0 != 3) & (g0 != 255)).sum())
    assert res['per_class']['3']['IoU'] == pytest.approx(100 * n_road / (n_road + wrong))
    for c in range(11):
        if c == 3:
            continue
        n_c = sum(int((g == c).sum()) for g in gts)
        lost = int((g0 == c).sum())
        if n_c:
            assert res['per_class'][str(c)]['IoU'] == pytest.approx(100 * (n_c - lost) / n_c)


def test_on_synthetic_scenes(tmp_path, eval_masks):
    """The demo scenes' layout works as is: classes.txt two levels above masks/<split>."""
    from wsseg.datasets.synthetic import make_scenes
    make_scenes(tmp_path / 'scenes', splits={'val': 3}, size=(32, 40), seed=1)
    gt = tmp_path / 'scenes' / 'masks' / 'val'
    pred = tmp_path / 'pred'
    masks = {p.stem: np.asarray(Image.open(p)) for p in gt.glob('*.png')}
    for stem in masks:
        write(pred, stem, np.zeros((32, 40), np.uint8))          # everything predicted background
    res = eval_masks.main([str(pred), str(gt), '--no-progress'])
    assert res['classes'][0] == 'background' and len(res['classes']) == 5
    n_bg = sum(int((m == 0).sum()) for m in masks.values())
    assert res['per_class']['background']['IoU'] == pytest.approx(100 * n_bg / (3 * 32 * 40))
    assert res['aAcc'] == pytest.approx(100 * n_bg / (3 * 32 * 40))
