"""Run a benchmark matrix (dataset x weak-label type x method) and write docs/benchmarks.md.

    python tools/benchmark.py --matrix configs/benchmarks/camvid.py [--rows a,b] [--report-only]

Each row is an ordinary training config run by ``tools/train.py`` in its own process (so a
row resumes after interruption and its peak memory is its own) and scored by its validation
loop. A row with ``test_checkpoint`` is not trained: ``tools/test.py`` scores that checkpoint
(e.g. a test-time ensemble that its ``before`` steps assemble). A row's result is kept in
``<work-root>/<row>/result.json`` and reused by every matrix naming the same row and config
(e.g. the full-supervision reference), unless ``--rerun``. A copy goes to
``<doc dir>/benchmark_results/<row>.json`` (kept in git): a row with no result in the work root,
e.g. on a fresh clone, is shown from its copy, and is trained when its matrix runs (so a run
measures, a ``--report-only`` reproduces the committed tables). The markdown table, per-class
scores and plots are rebuilt from those files.

A matrix file sets ``dataset``, ``reference`` (the row of the ratio column; a row may name its
own, e.g. a reference on the same longer schedule) and ``rows``, and
may set ``metrics``: ``'seg'`` (default: mIoU, aAcc, per-class IoU, labelled-pixel fraction)
or ``'patch'`` (patch accuracy, macro / weighted / per-class F1, patch mIoU, training
pseudo-label quality, pixel mIoU of the patch maps painted and refined); ``columns`` (a list of
``(title, spec)`` replacing the set's columns, see :func:`cell`) and ``budget`` (the sentence
after the dataset) and ``append`` (a markdown file, relative to the repository, added under the
rows when it exists: measurements another script makes beside them, e.g. tools/bench_patch.py).
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mmengine.config import Config, DictAction  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
BEGIN, END = '<!-- benchmark:{name}:begin -->', '<!-- benchmark:{name}:end -->'

# What a matrix reports. ``main``: the key that marks a validation record (and is plotted);
# ``per_class``: title and key prefix of the per-class table; ``plots``: which curves to draw;
# ``all_commands``: list the rows' ``before`` steps under "Commands" too (each once).
METRIC_SETS = {
    'seg': dict(main='mIoU', per_class=('Per-class IoU (%):', 'IoU.'), labelled_fraction=True,
                plots=('val', 'loss'), all_commands=False, columns=(
                    ('row', 'name'), ('weak labels', 'weak'), ('labelled pixels', 'labelled'),
                    ('method', 'method'), ('mIoU', 'mIoU:.2f'), ('weak/full', 'ratio:mIoU'),
                    ('aAcc', 'aAcc:.2f'), ('wall time', 'wall'), ('peak RSS', 'rss'))),
    'patch': dict(main='macro_F1', per_class=('Per-class F1 on the test patches (%):', 'F1.'),
                  labelled_fraction=False, plots=('loss',), all_commands=True, columns=(
                      ('row', 'name'), ('trained on', 'weak'), ('method', 'method'),
                      ('accuracy', 'accuracy'), ('macro F1', 'macro_F1'), ('weighted F1', 'weighted_F1'),
                      ('macro F1 / upper bound', 'ratio:macro_F1'), ('patch mIoU', 'patch_mIoU'),
                      ('pseudo-labels acc', 'pseudo/accuracy'), ('pseudo-labels macro F1', 'pseudo/macro_F1'),
                      ('pixel mIoU painted', 'pixel_mIoU.coarse'), ('+ CRF', 'pixel_mIoU.crf'),
                      ('+ superpixels', 'pixel_mIoU.superpixels'),
                      ('+ SAM (random weights: measures plumbing)', 'pixel_mIoU.sam'),
                      ('wall time', 'wall'), ('peak RSS', 'rss'))),
}


def metric_set(matrix: Config) -> dict:
    kind = matrix.get('metrics', 'seg')
    if kind not in METRIC_SETS:
        raise ValueError(f'{matrix.filename}: metrics={kind!r}, expected one of {sorted(METRIC_SETS)}')
    out = dict(METRIC_SETS[kind])
    if matrix.get('columns'):
        out['columns'] = tuple(tuple(c) for c in matrix.columns)
    return out


def read_scalars(work_dir: Path) -> list[dict]:
    """All records of the newest run's ``vis_data/scalars.json`` (mmengine LocalVisBackend)."""
    files = sorted(work_dir.glob('*/vis_data/scalars.json'), key=lambda p: p.stat().st_mtime)
    recs = []
    for f in files:   # older runs first: a resumed run continues the curve
        recs += [json.loads(line) for line in f.read_text().splitlines() if line.strip()]
    return recs


def by_step(recs: list[dict], key: str) -> list[tuple[int, float]]:
    """``(step, rec[key])`` once per step, the latest record winning: a run resumed from a
    checkpoint repeats the steps after it, and those repeats replace the first attempt's."""
    out = {r['step']: r[key] for r in recs if key in r and 'step' in r}
    return sorted(out.items())


def iteration_seconds(recs: list[dict]) -> float:
    """Training time as the sum of the logged seconds per iteration (mmengine's ``time``, an
    average over each logging window) over every step once: what a resumed row cost without
    its restarts and repeats (validation and start-up are not in it)."""
    total, prev = 0.0, 0
    for step, t in by_step([r for r in recs if 'loss' in r], 'time'):
        total, prev = total + t * (step - prev), step
    return total


def row_options(row: dict) -> dict:
    """The row's ``--cfg-options`` (in ``extra_args``) as mmengine parses them."""
    args = row.get('extra_args', [])
    if '--cfg-options' not in args:
        return {}
    p = argparse.ArgumentParser()
    p.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    return p.parse_known_args(args)[0].cfg_options


def labelled_fraction(config: str, options: dict | None = None) -> float | None:
    """Mean fraction of training-target pixels that carry a label (not 255), over one pass of
    the row's own train pipeline (crops included), i.e. what the loss actually sees.
    ``options``: the row's config overrides (e.g. the pseudo-mask folder it trains on)."""
    import numpy as np
    from wsseg.registry import DATASETS
    from wsseg.utils.setup_env import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(str(REPO / config))
    cfg.merge_from_dict(options or {})
    ds = DATASETS.build(cfg.train_dataloader.dataset)
    if ds.pipeline(dict(ds.get_data_info(0)))['data_samples'].target is None:
        return None    # a row that trains on no pixel targets (e.g. a tag classifier)
    fracs = [float((ds[i]['data_samples'].target != 255).float().mean()) for i in range(len(ds))]
    return float(np.mean(fracs))


def run_measured(cmd: list[str]) -> tuple[float, int]:
    """Run a command from the repository root; its wall seconds and peak RSS (MB), or an error."""
    t0 = time.time()
    proc = subprocess.Popen(cmd, cwd=REPO)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    return round(time.time() - t0, 1), round(usage.ru_maxrss / 1024)


def test_metrics(work_dir: Path) -> dict:
    """The metrics ``tools/test.py`` logged last in ``work_dir`` (``<stamp>/<stamp>.json``)."""
    from wsseg.engine.loops import last_test_record
    try:
        return last_test_record(work_dir)
    except FileNotFoundError as e:
        raise RuntimeError(str(e)) from None


def set_aside(work_dir: Path) -> Path:
    """Rename a finished row's work dir to ``<name>.prev-<mtime>`` (nothing is deleted), so that
    ``tools/train.py --resume`` starts the row afresh instead of resuming it at its last checkpoint."""
    stamp = time.strftime('%Y%m%d_%H%M%S', time.localtime(work_dir.stat().st_mtime))
    dest = work_dir.with_name(f'{work_dir.name}.prev-{stamp}')
    n = 1
    while dest.exists():
        dest, n = work_dir.with_name(f'{work_dir.name}.prev-{stamp}-{n}'), n + 1
    work_dir.rename(dest)
    return dest


def run_row(row: dict, work_root: Path, python: str, metrics: dict | None = None) -> dict:
    metrics = metrics or METRIC_SETS['seg']
    work_dir = work_root / row['name']
    steps = []
    for step in row.get('before', []):   # e.g. write the pseudo-masks this row trains on
        pre = [python, *step]
        print('[benchmark] $', shlex.join(pre), flush=True)
        subprocess.run(pre, cwd=REPO, check=True)
        steps.append(shlex.join(pre))
    if row.get('test_checkpoint'):
        cmd = [python, 'tools/test.py', row['config'], row['test_checkpoint'], '--work-dir', str(work_dir)]
    else:
        cmd = [python, 'tools/train.py', row['config'], '--work-dir', str(work_dir), '--resume']
    cmd += row.get('extra_args', [])
    print('[benchmark] $', shlex.join(cmd), flush=True)
    tested = None
    if row.get('test_checkpoint'):
        wall_s, peak = run_measured(cmd)
        tested = dict(wall_s=wall_s, peak_rss_mb=peak)
    else:
        subprocess.run(cmd, cwd=REPO, check=True)
    out = collect_row(row, work_dir, shlex.join(cmd), metrics, tested)
    if metrics['main'] != 'mIoU':     # the seg result files keep their original fields
        out['before'] = steps
    return out


def collect_row(row: dict, work_dir: Path, command: str, metrics: dict, tested: dict | None = None,
                labelled: float | None | bool = False) -> dict:
    """A row's result from what its run left in ``work_dir``. ``tested``: wall/peak of a
    ``tools/test.py`` row (None for a trained row); ``labelled``: a known labelled fraction
    (False: measure it)."""
    main = metrics['main']
    if tested is not None:
        final = merged = test_metrics(work_dir)
        vals, losses, stats = [], [], dict(tested)
    else:
        stats = json.loads((work_dir / 'run_stats.json').read_text())
        recs = read_scalars(work_dir)
        stats['train_s'] = round(iteration_seconds(recs), 1)
        if len(list(work_dir.glob('*/vis_data/scalars.json'))) > 1:   # resumed: the last process ran only part
            stats.update(wall_s=stats['train_s'], wall_resumed=True)
        vals = [r for r in recs if main in r]
        losses = by_step(recs, 'loss')
        if not vals:
            raise RuntimeError(f'{work_dir}: no validation record found in vis_data/scalars.json')
        final, merged = vals[-1], {}
        for r in recs + [final]:   # the last value of every scalar (validation, pseudo-label scores)
            merged.update(r)
    if labelled is False:
        labelled = labelled_fraction(row['config'], row_options(row)) if metrics['labelled_fraction'] else None
    prefix = metrics['per_class'][1]
    out = dict(name=row['name'], weak=row['weak'], method=row['method'], config=row['config'],
               command=command, wall_s=stats['wall_s'], peak_rss_mb=stats['peak_rss_mb'],
               wall_resumed=stats.get('wall_resumed', False), train_s=stats.get('train_s', 0.0),
               mIoU=final.get('mIoU'), aAcc=final.get('aAcc'), mAcc=final.get('mAcc'),
               per_class={k[len(prefix):]: v for k, v in final.items() if k.startswith(prefix)},
               curve=by_step(vals, main), loss_curve=losses, labelled_fraction=labelled)
    if main != 'mIoU':
        out['metrics'] = merged
    return out


def value(result: dict, key: str):
    """A row's score ``key``: from its ``metrics`` when stored there, else a top-level field."""
    m = result.get('metrics') or {}
    return m[key] if key in m else result.get(key)


def cell(spec: str, r: dict, ref: dict | None) -> str:
    """One table cell. ``spec``: ``name`` / ``weak`` / ``method`` / ``labelled`` / ``wall`` /
    ``rss`` (row fields), ``ratio:KEY`` (the row's KEY over the reference row's), or
    ``KEY[:FORMAT]`` (a score, ``.1f`` by default; ``n/a`` when the row has none)."""
    if spec in ('name', 'weak', 'method'):
        return str(r[spec])
    if spec == 'labelled':
        frac = r.get('labelled_fraction')
        return f'{100 * frac:.2f}%' if frac is not None else 'n/a'
    if spec == 'wall':
        return f"{r['wall_s'] / 60:.1f} min" + (' †' if r.get('wall_resumed') else '')
    if spec == 'rss':
        return f"{r['peak_rss_mb']} MB"
    if spec.startswith('ratio:'):
        key = spec[6:]
        a, b = value(r, key), value(ref, key) if ref else None
        return f'{a / b:.3f}' if a is not None and b else 'n/a'
    key, _, fmt = spec.partition(':')
    v = value(r, key)
    return 'n/a' if v is None else format(v, fmt or '.1f')


def render(matrix: Config, results: dict, plot_dir: Path) -> str:
    from wsseg.visualization.plots import plot_curves
    ms = metric_set(matrix)
    ref = results.get(matrix.reference)
    columns = ms['columns']
    lines = [f"Dataset: {matrix.dataset}. {matrix.get('budget', 'Every row: same network, schedule and seed.')}", '',
             '| ' + ' | '.join(t for t, _ in columns) + ' |', '|' + '---|' * len(columns)]
    order = [r['name'] for r in matrix.rows if r['name'] in results]
    own = {r['name']: r['reference'] for r in matrix.rows if r['name'] in results and r.get('reference')}
    for name in order:
        row_ref = results.get(own[name]) if name in own else ref
        lines.append('| ' + ' | '.join(cell(spec, results[name], row_ref) for _, spec in columns) + ' |')
    if own and any(spec.startswith('ratio:') for _, spec in columns):
        groups = {}
        for name, r in own.items():
            groups.setdefault(r, []).append(name)
        lines += [''] + [f"Ratios of {', '.join(f'`{n}`' for n in names)}: against `{r}`"
                         + ('' if r in results else ' (not run yet: n/a)') + ', not the reference.'
                         for r, names in groups.items()]
    if any(results[n].get('wall_resumed') for n in order):
        whole = [results[n]['train_s'] / results[n]['wall_s'] for n in order
                 if not results[n].get('wall_resumed') and results[n].get('train_s')]
        share = f' (for the uninterrupted rows here it is {100 * min(whole):.0f}-{100 * max(whole):.0f}% of the wall time)' if whole else ''
        lines += ['', '† resumed after an interruption: training time as the sum of its logged '
                  f'iteration times, each step once, without validation and start-up{share}.']
    if order:
        classes = list(results[order[0]]['per_class'])
        lines += ['', ms['per_class'][0], '', '| row | ' + ' | '.join(classes) + ' |',
                  '|---|' + '---|' * len(classes)]
        for name in order:
            pc = results[name]['per_class']
            lines.append(f'| {name} | ' + ' | '.join(f'{pc.get(c, float("nan")):.1f}' for c in classes) + ' |')
        tag = Path(matrix.filename).stem
        lines.append('')
        # A result restored from an earlier table has no curves: a plot is drawn from the rows that
        # have them; with none, the plot an earlier run drew is kept as it is.
        plots = [('val', 'curve', 'val_miou', 'val mIoU', 'val mIoU (%)', 'validation mIoU'),
                 ('loss', 'loss_curve', 'train_loss', 'train loss', 'training loss', 'training loss')]
        for kind, key, stem, alt, ylabel, title in plots:
            series = {n: tuple(zip(*results[n][key])) for n in order if results[n][key]}
            path = plot_dir / f'{tag}_{stem}.png'
            if kind in ms['plots'] and series:
                plot_curves(path, series, xlabel='iteration', ylabel=ylabel, title=f'{tag}: {title}')
            if kind in ms['plots'] and (series or path.is_file()):
                lines.append(f'![{alt}](figures/{tag}_{stem}.png)')
        undrawn = [n for n in order if not results[n]['curve'] and not results[n]['loss_curve']]
        if undrawn and len(undrawn) < len(order):
            lines.append(f"Not in the plots (no curve stored with the result): {', '.join(f'`{n}`' for n in undrawn)}.")
        elif undrawn:
            lines.append('The plots are those of the runs that measured these rows (no curve is stored with their results).')
        lines += ['', 'Commands (run from the repository root):', '']
        if ms['all_commands']:   # every step once, in order
            steps = [c for n in order for c in [*results[n].get('before', []), results[n]['command']]]
            lines += [f'- `{shown(c)}`' for c in dict.fromkeys(steps)]
        else:
            lines += [f"- `{shown(results[n]['command'])}`" for n in order]
    extra = matrix.get('append')
    if extra and (REPO / extra).is_file():   # e.g. measurements another script writes beside the rows
        lines += ['', (REPO / extra).read_text().rstrip()]
    return '\n'.join(lines)


def shown(command: str) -> str:
    """A recorded command as a reader would type it: ``python``, paths relative to the repository."""
    first, _, rest = command.partition(' ')
    if Path(first).name.startswith('python'):
        first = 'python'
    return f'{first} {rest}'.replace(f'{REPO}/', '')


def write_section(doc: Path, name: str, body: str) -> None:
    begin, end = BEGIN.format(name=name), END.format(name=name)
    text = doc.read_text() if doc.exists() else '# Benchmarks\n'
    block = f'{begin}\n{body}\n{end}'
    if begin in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + '\n\n' + block + '\n'
    doc.write_text(text)


def publish(body: str, doc: Path, name: str, write: bool = True) -> str:
    """Print a speed script's table and, unless ``write`` is False, put it in section ``name`` of ``doc``."""
    print('\n' + body)
    if write:
        write_section(doc, name, body)
        print(f'\nwritten to {doc} (section {name})')
    return body


def stored_result(store: Path, row: dict) -> dict | None:
    """The row's stored result, ``None`` if there is none; a result of another config is an error."""
    if not store.exists():
        return None
    old = json.loads(store.read_text())
    if old['config'] != row['config']:
        raise ValueError(f"{store}: holds a result of {old['config']}, not {row['config']}; "
                         'give the row another name')
    return old


def results_for_report(matrix: Config, work_root: Path, copies: Path) -> dict:
    """Every row's result: the work root's, else the committed copy. A work-root result whose
    copy is missing or different is copied (the copies follow what was measured last)."""
    results = {}
    for row in matrix.rows:
        local = stored_result(work_root / row['name'] / 'result.json', row)
        copy = copies / f"{row['name']}.json"
        if local is not None:
            if not copy.exists() or json.loads(copy.read_text()) != local:
                copies.mkdir(parents=True, exist_ok=True)
                copy.write_text(json.dumps(local, indent=1))
            results[row['name']] = local
        elif (kept := stored_result(copy, row)) is not None:
            results[row['name']] = kept
    return results


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--matrix', required=True)
    p.add_argument('--rows', help='comma-separated row names (default: all)')
    p.add_argument('--work-root', default='work_dirs/benchmarks')
    p.add_argument('--doc', default='docs/benchmarks.md')
    p.add_argument('--report-only', action='store_true', help='rebuild the doc from stored results')
    p.add_argument('--rerun', action='store_true', help='train rows again even if a result exists (the previous work dir is renamed '
                   '<row>.prev-<time>, not resumed)')
    p.add_argument('--rescan', action='store_true',
                   help="recompute stored results from their work dirs (curves, times), training nothing")
    args = p.parse_args(argv)
    matrix = Config.fromfile(args.matrix)
    metrics = metric_set(matrix)
    tag = Path(args.matrix).stem
    work_root = REPO / args.work_root
    doc = REPO / args.doc
    wanted = set(args.rows.split(',')) if args.rows else {r['name'] for r in matrix.rows}
    for row in matrix.rows:
        store = work_root / row['name'] / 'result.json'
        old = stored_result(store, row)
        if row['name'] in wanted and not args.report_only and (old is None or args.rerun):
            if old is not None:     # --rerun: a finished run would be resumed at its end, not trained again
                print(f'[benchmark] {row["name"]}: previous run kept in {set_aside(store.parent)}', flush=True)
            new = run_row(row, work_root, os.environ.get('PYTHON', sys.executable), metrics)
        elif row['name'] in wanted and args.rescan and old is not None and not row.get('test_checkpoint'):
            new = dict(old, **collect_row(row, store.parent, old['command'], metrics,
                                          labelled=old.get('labelled_fraction')))
        else:
            continue
        store.parent.mkdir(parents=True, exist_ok=True)
        store.write_text(json.dumps(new, indent=1))
    # read after training: a row that another process finished meanwhile (two rows of one
    # matrix run side by side) belongs in the table too
    results = results_for_report(matrix, work_root, doc.parent / 'benchmark_results')
    body = render(matrix, results, doc.parent / 'figures')
    print(body)
    write_section(doc, tag, body)
    return results


if __name__ == '__main__':
    main()
