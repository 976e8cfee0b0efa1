"""tools/run_pipeline.py's runner on generated scenes: every stage runs, a rerun skips all of
them, content (not timestamps) decides what is stale, and an interrupted stage resumes."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from wsseg.datasets.synthetic import make_scenes
from wsseg.pipeline import run_pipeline

from .conftest import tiny_schedule

REPO = Path(__file__).resolve().parents[2]
CLASSES = ('background', 'disc', 'square', 'triangle', 'stripes')


def scenes_pipeline(root: Path) -> Config:
    """The demo's job as a pipeline, on ``root``, with a few iterations per training."""
    train = dict(type='FolderDataset', data_root=str(root), classes=CLASSES, split='train')
    stored = dict(type='LoadWeakLabels', sources=[dict(type='StoredWeakLabels', weak_dir='${weak_dir}')])
    demo = str(REPO / 'configs/demo/scenes_scribbles.py')
    return Config(dict(
        weak_labels=dict(dataset=train, sources=[dict(type='Scribbles', simulate=True, coverage=0.05)]),
        pseudo_labels=dict(
            train=dict(config=demo, cfg_options=tiny_schedule(3, extra={
                'train_dataloader.dataset.data_root': str(root),
                'val_dataloader.dataset.data_root': str(root),
                'model.net.aspp_channels': 16,
                'train_dataloader.dataset.pipeline': [
                    dict(type='LoadImage'), stored, dict(type='PackSegInputs', target='partial')]})),
            labeller=dict(type='NetworkPseudoLabeller', keep_weak=True),
            dataset=dict(train, pipeline=[dict(type='LoadImage'), stored,
                                          dict(type='PackSegInputs', target='none')])),
        quality=dict(pictures=2),
        stage2=dict(config=demo, cfg_options=tiny_schedule(2, extra={
            'model.net.aspp_channels': 16,
            'train_dataloader.dataset.data_root': str(root),
            'train_dataloader.dataset.split': None,
            'train_dataloader.dataset.img_dir': 'images/train',
            'train_dataloader.dataset.mask_dir': '${pseudo_dir}',
            'train_dataloader.dataset.pipeline': [dict(type='LoadImage'), dict(type='LoadMask'),
                                                  dict(type='PackSegInputs', target='gt')],
            'val_dataloader.dataset.data_root': str(root)})),
        evaluate=dict(cfg_options={'test_dataloader.dataset.data_root': str(root),
                                   'test_dataloader.num_workers': 0,
                                   'test_dataloader.persistent_workers': False})))


def stage_times(work: Path) -> dict:
    return {p.parent.name: json.loads(p.read_text()).get('seconds') for p in work.glob('*/stage.json')}


def ran(capsys) -> set[str]:
    out = capsys.readouterr().out
    return {line.split()[1].rstrip(':') for line in out.splitlines()
            if line.startswith('[pipeline] ') and line.rstrip().endswith(' s') and ': done in ' in line}


@pytest.fixture(scope='module')
def scenes(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp('scenes')
    make_scenes(root, splits={'train': 6, 'val': 2}, size=(48, 48), seed=5, classes=CLASSES)
    return root


def test_pipeline_runs_skips_and_reruns_what_changed(scenes, tmp_path, capsys):
    work = tmp_path / 'work'
    cfg = scenes_pipeline(scenes)
    recs = run_pipeline(cfg, work)
    assert list(recs) == ['weak_labels', 'pseudo_labels', 'quality', 'stage2', 'evaluate']
    assert ran(capsys) == set(recs)
    assert all(r['status'] == 'done' for r in recs.values())
    assert len(list((work / 'weak_labels/labels').glob('*.json'))) == 6
    masks = sorted((work / 'pseudo_labels/masks').glob('*.png'))
    assert [m.stem for m in masks] == sorted(p.stem for p in (scenes / 'images/train').iterdir())
    for f in ('quality/metrics.json', 'quality/confusion.png', 'quality/overlays.png',
              'weak_labels/weak_labels.png', 'pseudo_labels/train_model_config.py', 'pseudo_labels/model.pth',
              'stage2/config.py',
              'evaluate/metrics.json', 'pipeline_report.md'):
        assert (work / f).is_file(), f
    # the quality stage agrees with tools/eval_masks.py on the same folders
    from tools.eval_masks import main as eval_masks
    ref = eval_masks([str(work / 'pseudo_labels/masks'), str(scenes / 'masks/train'),
                      '--num-classes', '5', '--out', str(tmp_path / 'eval'), '--no-progress'])
    assert recs['quality']['outputs']['metrics']['mIoU'] == pytest.approx(ref['mIoU'])
    ev = recs['evaluate']['outputs']['metrics']
    assert 0 <= ev['mIoU'] <= 100
    assert ev['images_scored'] == 2 and ev['images_skipped'] == 0     # counts, not null (see below)

    # a second run does nothing, even after every input file is touched (timestamps only)
    times = stage_times(work)
    for p in scenes.rglob('*.png'):
        os.utime(p)
    run_pipeline(cfg, work)
    assert ran(capsys) == set() and stage_times(work) == times

    # a changed stage-2 setting reruns stage 2 and the evaluation only
    cfg.stage2.cfg_options['train_cfg.max_iters'] = 3
    run_pipeline(cfg, work)
    assert ran(capsys) == {'stage2', 'evaluate'}

    # a pseudo-mask edited by hand: the quality stage (and whatever follows it) runs again
    m = np.asarray(Image.open(masks[0]))
    Image.fromarray(np.full_like(m, 255)).save(masks[0])
    run_pipeline(cfg, work, until='quality')
    assert ran(capsys) == {'quality'}


def test_interrupted_stage_resumes_and_changed_config_clears(scenes, tmp_path, capsys):
    work = tmp_path / 'work'
    cfg = scenes_pipeline(scenes)
    cfg.pop('stage2'), cfg.pop('evaluate')
    run_pipeline(cfg, work, until='pseudo_labels')
    masks = sorted((work / 'pseudo_labels/masks').glob('*.png'))
    kept = {m.name: m.stat().st_ino for m in masks[:4]}
    for m in masks[4:]:
        m.unlink()                                   # as if killed after four images
    rec = json.loads((work / 'pseudo_labels/stage.json').read_text())
    (work / 'pseudo_labels/stage.json').write_text(json.dumps(dict(rec, status='running')))
    capsys.readouterr()
    run_pipeline(cfg, work, until='pseudo_labels')
    out = capsys.readouterr().out
    assert 'pseudo_labels: resuming (running)' in out and 'weak_labels: up to date' in out
    assert '4 already done' in out
    again = {m.name: m.stat().st_ino for m in sorted((work / 'pseudo_labels/masks').glob('*.png'))}
    assert len(again) == 6 and all(again[n] == ino for n, ino in kept.items())   # not rewritten
    # another coverage is another key: stage 1 is cleared and written again
    cfg.weak_labels.sources[0]['coverage'] = 0.1
    run_pipeline(cfg, work, until='weak_labels')
    out = capsys.readouterr().out
    assert 'weak_labels: inputs or config changed, clearing' in out
    stats = json.loads((work / 'weak_labels/stats.json').read_text())
    assert stats['labelled_fraction_mean'] > 0.06


def test_bad_pipeline_configs_are_named(scenes, tmp_path):
    cfg = scenes_pipeline(scenes)
    with pytest.raises(ValueError, match="unknown stage\\(s\\) \\['stage3'\\]"):
        run_pipeline(cfg, tmp_path, force=('stage3',))
    cfg.quality = dict(dataset=dict(type='FolderDataset', data_root='${nowhere}', classes=CLASSES))
    with pytest.raises(KeyError, match=r'unknown placeholder \$\{nowhere\}'):
        run_pipeline(cfg, tmp_path / 'w')
    assert not (tmp_path / 'w' / 'weak_labels').exists()      # refused before any stage ran


def test_nproc_2_trains_and_labels_under_torchrun(scenes, tmp_path):
    """--nproc 2: the stage's training and pseudo-labelling run as 2 gloo ranks on CPU."""
    cfg = scenes_pipeline(scenes)
    recs = run_pipeline(cfg, tmp_path / 'work', until='pseudo_labels', nproc=2)
    report = recs['pseudo_labels']['outputs']['report']
    assert report['world_size'] == 2 and report['labelled'] == 6
    assert sorted(r['labelled'] for r in report['per_rank']) == [3, 3]
    log = (tmp_path / 'work/pseudo_labels/train_model.log').read_text()
    assert 'dist_train.sh' in log and 'using the gloo backend' in log    # DDP over 2 CPU ranks


def test_failure_excerpt_keeps_a_ranks_error_above_torchrun_summary(tmp_path):
    from wsseg.pipeline.launch import failure_excerpt
    log = tmp_path / 'x.log'
    noise = [f'torchrun summary line {i}' for i in range(40)]
    log.write_text('\n$ old command\nRuntimeError: from an earlier attempt\n'
                   '\n$ bash tools/dist_train.sh cfg.py 2\nloading\n'
                   "terminate called after throwing an instance of 'gloo::IoException'\n"
                   + '\n'.join(noise) + '\n')
    text = failure_excerpt(log)
    assert "gloo::IoException" in text and 'torchrun summary line 39' in text
    assert 'earlier attempt' not in text                      # only the last command's output
    assert 'torchrun summary line 10' not in text             # tail is bounded


def test_newest_test_metrics_takes_integer_counts_from_the_log(tmp_path):
    """mmengine's test-json dump writes numpy integers as null; the counts come from the run's log
    line instead, and a key found in neither is left out rather than reported as None."""
    from wsseg.pipeline.stages import newest_test_metrics
    run = tmp_path / '20260101_000000'
    run.mkdir()
    (run / f'{run.name}.json').write_text(json.dumps(
        dict(aAcc=52.87, mIoU=22.74, images_scored=None, images_skipped=None, other=None, time=0.1)) + '\n')
    (run / f'{run.name}.log').write_text(
        'Iter(test) [10/58]  eta: 0:00:01\n'
        'Iter(test) [58/58]    aAcc: 52.8700  mIoU: 22.7400  images_scored: 57  images_skipped: 1  time: 0.16\n')
    assert newest_test_metrics(tmp_path) == dict(aAcc=52.87, mIoU=22.74, images_scored=57, images_skipped=1)


def test_quality_pictures_spread_over_the_dataset():
    from wsseg.pipeline.stages import spread
    assert spread(276, 6) == {0, 55, 110, 165, 220, 275}
    assert spread(6, 2) == {0, 5} and spread(3, 10) == {0, 1, 2} and spread(1, 6) == {0}
    assert spread(0, 6) == set() and spread(10, 0) == set()


def test_weak_loader_swaps_only_the_weak_label_step():
    """``weak_loader`` in a training spec keeps the config's own augmentation, replaces its
    LoadWeakLabels step and drops LoadMask; a config without one such step, or one that trains on
    the true masks, is refused with its name."""
    from wsseg.pipeline.stages import load_config
    stored = dict(type='LoadWeakLabels', sources=[dict(type='StoredWeakLabels', weak_dir='/w/labels')])
    config = 'configs/camvid/scribbles_pce.py'
    own = Config.fromfile(str(REPO / config)).train_dataloader.dataset.pipeline
    swapped = load_config(dict(config=config, weak_loader=stored)).train_dataloader.dataset.pipeline
    assert [t['type'] for t in own][:3] == ['LoadImage', 'LoadMask', 'LoadWeakLabels']
    assert swapped == [own[0], stored] + own[3:]
    assert load_config(dict(config=config)).train_dataloader.dataset.pipeline == own
    with pytest.raises(ValueError, match=r"configs/camvid/full_ce.py.*target='gt'"):
        load_config(dict(config='configs/camvid/full_ce.py', weak_loader=stored))
    no_weak = [t for t in own if t['type'] != 'LoadWeakLabels']
    with pytest.raises(ValueError, match='scribbles_pce.py: weak_loader replaces the one LoadWeakLabels'):
        load_config(dict(config=config, weak_loader=stored,
                         cfg_options={'train_dataloader.dataset.pipeline': no_weak}))
