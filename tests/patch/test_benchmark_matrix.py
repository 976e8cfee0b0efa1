"""tools/benchmark.py: the CamVid table unchanged, the patch metric set, and a tiny patch matrix run."""
from __future__ import annotations

from pathlib import Path

import pytest
from mmengine.config import Config

from tools import benchmark
from wsseg.patch.runs import SYNTH_ENV, as_cli, short_run_options

REPO = Path(__file__).resolve().parents[2]

# What tools/benchmark.py printed for these two results before the patch metric set existed.
CAMVID_BODY = """Dataset: CamVid (240x180, 367 train / 101 val). Every row: same network, schedule and seed.

| row | weak labels | labelled pixels | method | mIoU | weak/full | aAcc | wall time | peak RSS |
|---|---|---|---|---|---|---|---|---|
| full_ce | w full_ce | 95.32% | m | 38.29 | 1.000 | 70.12 | 2.1 min | 1000 MB |
| points_pce | w points_pce | n/a | m | 19.29 | 0.504 | 70.12 | 2.1 min | 1000 MB |

Per-class IoU (%):

| row | sky | road |
|---|---|---|
| full_ce | 90.0 | 55.5 |
| points_pce | 90.0 | 55.5 |

![val mIoU](figures/camvid_val_miou.png)
![train loss](figures/camvid_train_loss.png)

Commands (run from the repository root):

- `python tools/train.py configs/camvid/full_ce.py`
- `python tools/train.py configs/camvid/points_pce.py`"""


def seg_result(name: str, config: str, miou: float, frac: float | None) -> dict:
    """A result.json as the seg rows store it."""
    return dict(name=name, weak='w ' + name, method='m', config=config, command=f'python tools/train.py {config}',
                wall_s=123.4, peak_rss_mb=1000, mIoU=miou, aAcc=70.123, per_class={'sky': 90.0, 'road': 55.55},
                curve=[(100, miou - 5), (200, miou)], loss_curve=[(10, 2.0), (20, 1.5)], labelled_fraction=frac)


def test_camvid_table_is_unchanged(tmp_path):
    matrix = Config.fromfile(str(REPO / 'configs/benchmarks/camvid.py'))
    results = {'full_ce': seg_result('full_ce', 'configs/camvid/full_ce.py', 38.29, 0.9532),
               'points_pce': seg_result('points_pce', 'configs/camvid/points_pce.py', 19.29, None)}
    assert benchmark.render(matrix, results, tmp_path) == CAMVID_BODY
    assert {p.name for p in tmp_path.iterdir()} == {'camvid_val_miou.png', 'camvid_train_loss.png'}


def patch_result(name: str, macro: float, sam: bool = True) -> dict:
    m = {'accuracy': 50.0, 'macro_F1': macro, 'weighted_F1': 55.0, 'patch_mIoU': 30.0, 'F1.Strappy': 10.0,
         'F1.Background': 80.0, 'pseudo/accuracy': 61.0, 'pseudo/macro_F1': 60.0, 'pixel_mIoU.coarse': 29.0,
         'pixel_mIoU.crf': 30.5, 'pixel_mIoU.superpixels': 29.5}
    if sam:
        m['pixel_mIoU.sam'] = 20.0
    return dict(name=name, weak='image labels', method=name.upper(), config=f'configs/x/{name}.py',
                command=f'python tools/train.py configs/x/{name}.py', wall_s=60.0, peak_rss_mb=900, mIoU=None,
                aAcc=None, per_class={'Strappy': 10.0, 'Background': 80.0}, curve=[(30, macro)],
                loss_curve=[(5, 1.4), (30, 0.9)], labelled_fraction=None, metrics=m,
                before=['python tools/bench_patch.py --data-only'])


def write_matrix(path: Path, text: str) -> Config:
    path.write_text(text)
    return Config.fromfile(str(path))


def test_patch_metric_set_columns_ratio_and_appendix(tmp_path):
    extra = tmp_path / 'extras.md'
    extra.write_text('| measurement | value |\n|---|---|\n| SimCLR | 20 s |\n')
    matrix = write_matrix(tmp_path / 'sg.py', f"""dataset = 'tiny frames'
budget = 'One budget.'
metrics = 'patch'
reference = 'upper'
append = '{extra}'
rows = [dict(name='sf', config='configs/x/sf.py'), dict(name='upper', config='configs/x/upper.py')]
""")
    body = benchmark.render(matrix, {'sf': patch_result('sf', 40.0, sam=False), 'upper': patch_result('upper', 50.0)},
                            tmp_path)
    lines = body.splitlines()
    assert lines[0] == 'Dataset: tiny frames. One budget.'
    head = [c.strip() for c in lines[2].strip('|').split('|')]
    assert head[:7] == ['row', 'trained on', 'method', 'accuracy', 'macro F1', 'weighted F1', 'macro F1 / upper bound']
    assert head[-3:] == ['+ SAM (random weights: measures plumbing)', 'wall time', 'peak RSS']
    sf = [c.strip() for c in lines[4].strip('|').split('|')]
    assert sf[4] == '40.0' and sf[6] == '0.800' and sf[head.index('+ SAM (random weights: measures plumbing)')] == 'n/a'
    assert sf[head.index('pseudo-labels acc')] == '61.0' and sf[-2:] == ['1.0 min', '900 MB']
    assert 'Per-class F1 on the test patches (%):' in body and '| sf | 10.0 | 80.0 |' in body
    assert body.count('- `python tools/bench_patch.py --data-only`') == 1       # before steps, each once
    assert 'val_miou' not in body and (tmp_path / 'sg_train_loss.png').is_file()
    assert body.endswith('| SimCLR | 20 s |')


def test_matrix_chooses_its_columns(tmp_path):
    matrix = write_matrix(tmp_path / 'm.py', """dataset = 'd'
metrics = 'patch'
reference = 'a'
columns = [('row', 'name'), ('F1', 'macro_F1:.2f'), ('vs a', 'ratio:macro_F1'), ('nothing', 'no_such_key')]
rows = [dict(name='a', config='configs/x/a.py')]
""")
    lines = benchmark.render(matrix, {'a': patch_result('a', 42.123)}, tmp_path).splitlines()
    assert lines[2:5] == ['| row | F1 | vs a | nothing |', '|---|---|---|---|', '| a | 42.12 | 1.000 | n/a |']
    with pytest.raises(ValueError, match="metrics='pixels'"):
        benchmark.metric_set(write_matrix(tmp_path / 'bad.py', "metrics = 'pixels'\nrows = []\n"))


def test_a_row_may_name_its_own_reference(tmp_path):
    """A row on a longer schedule is compared with the reference on that schedule."""
    matrix = write_matrix(tmp_path / 'm.py', """dataset = 'd'
metrics = 'patch'
reference = 'a'
columns = [('row', 'name'), ('vs ref', 'ratio:macro_F1')]
rows = [dict(name='a', config='c.py'), dict(name='a_long', config='c.py'),
        dict(name='b_long', config='c.py', reference='a_long'), dict(name='c_long', config='c.py', reference='z')]
""")
    results = {n: patch_result(n, f) for n, f in (('a', 40.0), ('a_long', 50.0), ('b_long', 25.0), ('c_long', 30.0))}
    lines = benchmark.render(matrix, results, tmp_path).splitlines()
    assert lines[4:8] == ['| a | 1.000 |', '| a_long | 1.250 |', '| b_long | 0.500 |', '| c_long | n/a |']
    assert "Ratios of `b_long`: against `a_long`, not the reference." in lines
    assert "Ratios of `c_long`: against `z` (not run yet: n/a), not the reference." in lines


@pytest.mark.slow
def test_tiny_patch_matrix_trains_tests_and_reuses_results(tmp_path, monkeypatch):
    """A train row (tools/train.py) and a test-only ensemble of it with itself (tools/test.py)."""
    from wsseg.datasets.synthetic import make_seagrass_frames
    make_seagrass_frames(tmp_path / 'sg' / 'train', 8, patch=(8, 12), seed=0)
    make_seagrass_frames(tmp_path / 'sg' / 'test', 4, patch=(8, 12), seed=1)
    monkeypatch.setenv(SYNTH_ENV, str(tmp_path / 'sg'))
    monkeypatch.setenv('OMP_NUM_THREADS', '1')
    wr, ckpt = tmp_path / 'wr', tmp_path / 'wr' / 'sf' / 'epoch_1.pth'
    members = [f'model.members.0.checkpoint={ckpt}', f'model.members.1.checkpoint={ckpt}']
    short = as_cli(short_run_options(1, 4)) + ['default_hooks.checkpoint.save_optimizer=False']
    matrix = tmp_path / 'tiny.py'
    matrix.write_text(f"""dataset = 'tiny'
metrics = 'patch'
reference = 'sf'
rows = [dict(name='sf', weak='image labels', method='SeaFeats', config='configs/seafeats/seafeats_random_init_synth.py',
             extra_args=['--cfg-options', *{short!r}]),
        dict(name='ens', weak='image labels', method='ensemble', config='configs/ensemble/ensemble_synth.py',
             before=[['-m', 'wsseg.patch.make_ensemble', 'configs/ensemble/ensemble_synth.py', '{wr}/ens/e.pth',
                      '--cfg-options', *{members!r}]],
             test_checkpoint='{wr}/ens/e.pth', extra_args=['--cfg-options', *{members!r}])]
""")
    doc = tmp_path / 'doc' / 'benchmarks.md'
    args = ['--matrix', str(matrix), '--work-root', str(wr), '--doc', str(doc)]
    results = benchmark.main(args)
    sf, ens = results['sf'], results['ens']
    assert sf['metrics']['pseudo/accuracy'] > 0 and sf['curve'] and sf['loss_curve']
    for key in ('accuracy', 'macro_F1', 'patch_mIoU', 'pixel_mIoU.coarse'):   # an ensemble of one model twice
        assert ens['metrics'][key] == pytest.approx(sf['metrics'][key]), key
    assert ens['command'].split()[1] == 'tools/test.py' and ens['peak_rss_mb'] > 0
    text = doc.read_text()
    assert '<!-- benchmark:tiny:begin -->' in text and '| ens | image labels | ensemble |' in text
    stamp = (wr / 'sf' / 'result.json').stat().st_mtime
    benchmark.main(args)                                           # stored results are reused
    assert (wr / 'sf' / 'result.json').stat().st_mtime == stamp
    matrix.write_text(matrix.read_text().replace("config='configs/seafeats/seafeats_random_init_synth.py'",
                                                 "config='configs/seafeats/patch_supervised_synth.py'"))
    with pytest.raises(ValueError, match='give the row another name'):
        benchmark.main(args)


def test_resumed_row_counts_each_step_once():
    """A run resumed from iteration 20 repeats steps 30-40: the later records win, and the
    training time sums each step's logged seconds per iteration once."""
    first = [dict(step=10, loss=2.0, time=1.0), dict(step=20, loss=1.5, time=1.0),
             dict(step=20, mIoU=10.0), dict(step=30, loss=1.2, time=1.0), dict(step=40, loss=1.1, time=5.0)]
    resumed = [dict(step=30, loss=1.25, time=2.0), dict(step=40, loss=1.0, time=2.0), dict(step=40, mIoU=20.0)]
    recs = first + resumed
    assert benchmark.by_step(recs, 'loss') == [(10, 2.0), (20, 1.5), (30, 1.25), (40, 1.0)]
    assert benchmark.by_step(recs, 'mIoU') == [(20, 10.0), (40, 20.0)]
    assert benchmark.iteration_seconds(recs) == pytest.approx(10 * 1.0 + 10 * 1.0 + 10 * 2.0 + 10 * 2.0)


def two_row_matrix(folder: Path) -> Path:
    """A seg matrix of two CamVid rows, the first its reference."""
    matrix = folder / 'two.py'
    matrix.write_text("""dataset = 'two'
reference = 'full_ce'
rows = [dict(name='full_ce', weak='w', method='m', config='configs/camvid/full_ce.py'),
        dict(name='points_pce', weak='w', method='m', config='configs/camvid/points_pce.py')]
""")
    return matrix


def test_table_holds_a_row_that_another_process_finished_meanwhile(tmp_path, monkeypatch):
    """Two rows of one matrix trained side by side: the one that ends last still shows both."""
    import json
    matrix = two_row_matrix(tmp_path)
    wr = tmp_path / 'wr'

    def run_row(row, work_root, python, metrics):       # full_ce's process ends during this run
        (wr / 'full_ce').mkdir(parents=True)
        (wr / 'full_ce' / 'result.json').write_text(json.dumps(
            seg_result('full_ce', 'configs/camvid/full_ce.py', 38.29, 0.95)))
        return seg_result(row['name'], row['config'], 19.29, None)
    monkeypatch.setattr(benchmark, 'run_row', run_row)
    (wr / 'points_pce').mkdir(parents=True)
    doc = tmp_path / 'benchmarks.md'
    results = benchmark.main(['--matrix', str(matrix), '--work-root', str(wr), '--doc', str(doc),
                              '--rows', 'points_pce'])
    assert set(results) == {'full_ce', 'points_pce'}
    assert '| full_ce | w full_ce | 95.00% | m | 38.29 | 1.000 |' in doc.read_text()


def test_labelled_fraction_reads_the_rows_overrides(shared_data, tmp_path):
    """A row that points its config at another pseudo-mask folder by ``--cfg-options`` is
    measured on that folder (the CAM second stage on the 750-iteration seeds), not on the
    config's own (absent) one."""
    import shutil

    import numpy as np

    from wsseg.utils.io import write_png_atomic
    imgs, masks = tmp_path / 'img', tmp_path / 'masks'
    imgs.mkdir(), masks.mkdir()
    for i, src in enumerate(sorted((shared_data / 'camvid/images/train').glob('*.jpg'))[:2]):
        shutil.copy(src, imgs / src.name)
        write_png_atomic(masks / f'{src.stem}.png', np.full((180, 240), 255 if i else 3, np.uint8))
    row = dict(config='configs/cam/camvid_tags_cam_stage2.py',
               extra_args=['--cfg-options', 'train_cfg.max_iters=750',
                           f'train_dataloader.dataset.img_dir={imgs}', f'train_dataloader.dataset.mask_dir={masks}'])
    options = benchmark.row_options(row)
    assert options['train_dataloader.dataset.mask_dir'] == str(masks) and options['train_cfg.max_iters'] == 750
    assert benchmark.labelled_fraction(row['config'], options) == pytest.approx(0.5)
    with pytest.raises(Exception, match='mask folder not found'):
        benchmark.labelled_fraction(row['config'])


def test_rerun_trains_afresh_and_keeps_the_previous_run(tmp_path, monkeypatch):
    """--rerun of a finished row: its work dir (checkpoints, result) is renamed aside, so the new
    run starts from nothing instead of resuming at the old last checkpoint."""
    import json
    matrix = tmp_path / 'one.py'
    matrix.write_text("""dataset = 'one'
reference = 'full_ce'
rows = [dict(name='full_ce', weak='w', method='m', config='configs/camvid/full_ce.py')]
""")
    wr, doc = tmp_path / 'wr', tmp_path / 'benchmarks.md'
    (wr / 'full_ce').mkdir(parents=True)
    (wr / 'full_ce' / 'iter_3000.pth').write_bytes(b'old checkpoint')
    (wr / 'full_ce' / 'result.json').write_text(json.dumps(seg_result('full_ce', 'configs/camvid/full_ce.py', 38.29, 0.95)))
    seen = []

    def run_row(row, work_root, python, metrics):
        seen.append(sorted(p.name for p in (work_root / row['name']).glob('*')))
        return seg_result(row['name'], row['config'], 40.0, 0.95)
    monkeypatch.setattr(benchmark, 'run_row', run_row)
    args = ['--matrix', str(matrix), '--work-root', str(wr), '--doc', str(doc)]
    assert benchmark.main(args)['full_ce']['mIoU'] == 38.29 and seen == []     # kept without --rerun
    results = benchmark.main(args + ['--rerun'])
    assert seen == [[]] and results['full_ce']['mIoU'] == 40.0
    kept = [p for p in wr.iterdir() if p.name.startswith('full_ce.prev-')]
    assert len(kept) == 1 and (kept[0] / 'iter_3000.pth').read_bytes() == b'old checkpoint'
    assert json.loads((kept[0] / 'result.json').read_text())['mIoU'] == 38.29


def test_results_are_copied_beside_the_doc_and_shown_from_the_copy(tmp_path, monkeypatch):
    """A fresh clone has no work root: --report-only shows the committed copies, a run trains."""
    import json
    matrix = two_row_matrix(tmp_path)
    trained = []

    def run_row(row, work_root, python, metrics):
        trained.append(row['name'])
        return seg_result(row['name'], row['config'], 30.0 + len(trained), None)
    monkeypatch.setattr(benchmark, 'run_row', run_row)
    doc = tmp_path / 'docs' / 'benchmarks.md'
    args = ['--matrix', str(matrix), '--doc', str(doc)]
    first = benchmark.main(args + ['--work-root', str(tmp_path / 'wr1')])
    copies = tmp_path / 'docs' / 'benchmark_results'
    assert sorted(p.name for p in copies.iterdir()) == ['full_ce.json', 'points_pce.json']
    assert json.loads((copies / 'full_ce.json').read_text()) == first['full_ce']
    fresh = tmp_path / 'wr2'                                   # another machine: no work root
    shown = benchmark.main(args + ['--work-root', str(fresh), '--report-only'])
    assert trained == ['full_ce', 'points_pce'] and shown == first and not fresh.exists()
    assert '| points_pce | w points_pce |' in doc.read_text()
    again = benchmark.main(args + ['--work-root', str(fresh), '--rows', 'points_pce'])   # a run measures
    assert trained[-1] == 'points_pce' and again['points_pce']['mIoU'] == 33.0
    assert json.loads((copies / 'points_pce.json').read_text())['mIoU'] == 33.0
    assert again['full_ce'] == first['full_ce']                # the other row still from its copy


def test_publish_prints_and_writes_a_speed_section(tmp_path, capsys):
    doc = tmp_path / 'b.md'
    doc.write_text('# B\n\n<!-- benchmark:speed:begin -->\nold\n<!-- benchmark:speed:end -->\n\ntail\n')
    assert benchmark.publish('| a | b |', doc, 'speed') == '| a | b |'
    assert doc.read_text() == '# B\n\n<!-- benchmark:speed:begin -->\n| a | b |\n<!-- benchmark:speed:end -->\n\ntail\n'
    assert '| a | b |' in capsys.readouterr().out
    benchmark.publish('new', doc, 'speed', write=False)
    assert '| a | b |' in doc.read_text()
