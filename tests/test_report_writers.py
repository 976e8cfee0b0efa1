"""Two writers of the HTML report on generated scenes: ``tools/eval_masks.py --html`` and the
pipeline's quality stage (with and without ground truth). The demo's report is checked in
tests/test_demo.py."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from tools.eval_masks import main as eval_masks
from wsseg.datasets.synthetic import make_scenes
from wsseg.pipeline.digest import FileDigests
from wsseg.pipeline.stages import Context, QualityStage
from wsseg.utils.io import read_mask, write_png_atomic
from wsseg.utils.setup_env import register_all_modules

CLASSES = ('background', 'disc', 'square', 'triangle', 'stripes')


@pytest.fixture(scope='module')
def scenes(tmp_path_factory) -> tuple[Path, Path]:
    """Scenes with full masks, and pseudo-masks that spoil one image much more than the others."""
    root = tmp_path_factory.mktemp('scenes')
    make_scenes(root, splits={'train': 5}, size=(40, 40), seed=3, classes=CLASSES)
    pseudo = root / 'pseudo'
    rng = np.random.default_rng(0)
    for i, gt_path in enumerate(sorted((root / 'masks/train').glob('*.png'))):
        m = read_mask(gt_path)
        noise = rng.random(m.shape) < (0.5 if i == 2 else 0.05)
        m[noise] = rng.integers(0, len(CLASSES), int(noise.sum()))
        write_png_atomic(pseudo / gt_path.name, m)
    return root, pseudo


def gallery_names(page: Path) -> list[str]:
    return re.findall(r'class="gallery-row" data-name="([^"]+)"', page.read_text())


def test_eval_masks_html(scenes, tmp_path):
    root, pseudo = scenes
    stems = sorted(p.stem for p in pseudo.glob('*.png'))
    (pseudo / f'{stems[0]}.png').rename(tmp_path / 'moved.png')        # one prediction missing
    try:
        res = eval_masks([str(pseudo), str(root / 'masks/train'), '--classes', ','.join(CLASSES),
                          '--allow-missing', '--no-progress', '--out', str(tmp_path / 'eval'),
                          '--html', str(tmp_path / 'html'), '--images', str(root / 'images/train')])
    finally:
        (tmp_path / 'moved.png').rename(pseudo / f'{stems[0]}.png')
    page = tmp_path / 'html/index.html'
    m = json.loads((page.parent / 'metrics.json').read_text())
    assert m['mIoU'] == pytest.approx(res['mIoU']) and m['confusion_matrix'] == res['confusion_matrix']
    assert m['counts']['scored'] == 4 and m['counts']['skipped'] == {'no prediction': 1}
    assert gallery_names(page)[0] == stems[2]                            # the spoilt image first
    assert len(re.findall(r'<img src="images/', page.read_text())) == 4 * 4   # no weak labels given


def _stage(root: Path, pseudo: Path, work: Path, mask_dir: str | None) -> QualityStage:
    register_all_modules()
    ctx = Context(work, FileDigests(work / 'digests.json'))
    ds = dict(type='FolderDataset', data_root=str(root), split='train', classes=CLASSES, mask_dir=mask_dir)
    ctx.specs['pseudo_labels'] = dict(dataset=ds)
    ctx.outputs['pseudo_labels'] = dict(dir=str(pseudo))
    return QualityStage(dict(pictures=3), work / 'quality', ctx)


def test_quality_stage_writes_the_report(scenes, tmp_path):
    root, pseudo = scenes
    stage = _stage(root, pseudo, tmp_path, 'masks')
    out = stage.run()
    page = Path(out['report'])
    assert stage.complete(out) and page == tmp_path / 'quality/report/index.html'
    m = json.loads((page.parent / 'metrics.json').read_text())
    assert m['mIoU'] == pytest.approx(out['metrics']['mIoU'])
    assert json.loads((tmp_path / 'quality/metrics.json').read_text())['mIoU'] == pytest.approx(m['mIoU'])
    stems = sorted(p.stem for p in pseudo.glob('*.png'))
    assert len(gallery_names(page)) == 3 and gallery_names(page)[0] == stems[2]
    assert (tmp_path / 'quality/overlays.png').is_file() and (page.parent / 'confusion.png').is_file()


def test_quality_stage_without_truth(scenes, tmp_path):
    root, pseudo = scenes
    stage = _stage(root, pseudo, tmp_path, None)
    out = stage.run()
    assert out['metrics'] is None and 'no ground truth' in out['note']
    page = Path(out['report'])
    m = json.loads((page.parent / 'metrics.json').read_text())
    assert 'mIoU' not in m and m['counts']['without_ground_truth'] == 5
    assert sum(a['pseudo_mask_share'] for a in m['class_area'].values()) == pytest.approx(100)
    assert 'No ground truth' in page.read_text() and len(gallery_names(page)) == 3
