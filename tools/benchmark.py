"""Run a benchmark matrix (dataset x weak-label type x method) and write docs/benchmarks.md.

    python tools/benchmark.py --matrix configs/benchmarks/camvid.py [--rows a,b] [--report-only]

Each row is an ordinary training config run by ``tools/train.py`` in its own process (so a
row resumes after interruption and its peak memory is its own). A row's result is kept in
``<work-root>/<row>/result.json`` and reused by every matrix naming the same row and config
(e.g. the full-supervision reference), unless ``--rerun``. The markdown table, per-class IoU
and plots are rebuilt from those files.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mmengine.config import Config  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
BEGIN, END = '<!-- benchmark:{name}:begin -->', '<!-- benchmark:{name}:end -->'


def read_scalars(work_dir: Path) -> list[dict]:
    """All records of the newest run's ``vis_data/scalars.json`` (mmengine LocalVisBackend)."""
    files = sorted(work_dir.glob('*/vis_data/scalars.json'), key=lambda p: p.stat().st_mtime)
    recs = []
    for f in files:   # older runs first: a resumed run continues the curve
        recs += [json.loads(line) for line in f.read_text().splitlines() if line.strip()]
    return recs


def labelled_fraction(config: str) -> float | None:
    """Mean fraction of training-target pixels that carry a label (not 255), over one pass of
    the row's own train pipeline (crops included), i.e. what the loss actually sees."""
    import numpy as np
    from wsseg.registry import DATASETS
    from wsseg.utils.setup_env import register_all_modules
    register_all_modules()
    ds = DATASETS.build(Config.fromfile(str(REPO / config)).train_dataloader.dataset)
    if ds.pipeline(dict(ds.get_data_info(0)))['data_samples'].target is None:
        return None    # a row that trains on no pixel targets (e.g. a tag classifier)
    fracs = [float((ds[i]['data_samples'].target != 255).float().mean()) for i in range(len(ds))]
    return float(np.mean(fracs))


def run_row(row: dict, work_root: Path, python: str) -> dict:
    work_dir = work_root / row['name']
    for step in row.get('before', []):   # e.g. write the pseudo-masks this row trains on
        pre = [python, *step]
        print('[benchmark] $', shlex.join(pre), flush=True)
        subprocess.run(pre, cwd=REPO, check=True)
    cmd = [python, 'tools/train.py', row['config'], '--work-dir', str(work_dir), '--resume']
    cmd += row.get('extra_args', [])
    print('[benchmark] $', shlex.join(cmd), flush=True)
    subprocess.run(cmd, cwd=REPO, check=True)
    stats = json.loads((work_dir / 'run_stats.json').read_text())
    recs = read_scalars(work_dir)
    vals = [r for r in recs if 'mIoU' in r]
    losses = [(r['step'], r['loss']) for r in recs if 'loss' in r and 'step' in r]
    if not vals:
        raise RuntimeError(f'{work_dir}: no validation record found in vis_data/scalars.json')
    last = vals[-1]
    return dict(name=row['name'], weak=row['weak'], method=row['method'], config=row['config'],
                command=shlex.join(cmd), wall_s=stats['wall_s'],
                peak_rss_mb=stats['peak_rss_mb'], mIoU=last['mIoU'],
                aAcc=last.get('aAcc'), per_class={k[4:]: v for k, v in last.items() if k.startswith('IoU.')},
                curve=[(r['step'], r['mIoU']) for r in vals], loss_curve=losses,
                labelled_fraction=labelled_fraction(row['config']))


def render(matrix: Config, results: dict, plot_dir: Path) -> str:
    from wsseg.visualization.plots import plot_curves
    ref = results.get(matrix.reference)
    lines = [f'Dataset: {matrix.dataset}. Every row: same network, schedule and seed.', '',
             '| row | weak labels | labelled pixels | method | mIoU | weak/full | aAcc | wall time | peak RSS |',
             '|---|---|---|---|---|---|---|---|---|']
    order = [r['name'] for r in matrix.rows if r['name'] in results]
    for name in order:
        r = results[name]
        ratio = f"{r['mIoU'] / ref['mIoU']:.3f}" if ref else 'n/a'
        frac = r.get('labelled_fraction')
        frac = f'{100 * frac:.2f}%' if frac is not None else 'n/a'
        lines.append(f"| {name} | {r['weak']} | {frac} | {r['method']} | {r['mIoU']:.2f} | {ratio} | "
                     f"{r['aAcc']:.2f} | {r['wall_s'] / 60:.1f} min | {r['peak_rss_mb']} MB |")
    if order:
        classes = list(results[order[0]]['per_class'])
        lines += ['', 'Per-class IoU (%):', '', '| row | ' + ' | '.join(classes) + ' |',
                  '|---|' + '---|' * len(classes)]
        for name in order:
            pc = results[name]['per_class']
            lines.append(f'| {name} | ' + ' | '.join(f'{pc.get(c, float("nan")):.1f}' for c in classes) + ' |')
        tag = Path(matrix.filename).stem
        plot_curves(plot_dir / f'{tag}_val_miou.png', {n: tuple(zip(*results[n]['curve'])) for n in order},
                    xlabel='iteration', ylabel='val mIoU (%)', title=f'{tag}: validation mIoU')
        plot_curves(plot_dir / f'{tag}_train_loss.png',
                    {n: tuple(zip(*results[n]['loss_curve'])) for n in order if results[n]['loss_curve']},
                    xlabel='iteration', ylabel='training loss', title=f'{tag}: training loss')
        lines += ['', f'![val mIoU](figures/{tag}_val_miou.png)', f'![train loss](figures/{tag}_train_loss.png)',
                  '', 'Commands (run from the repository root):', '']
        lines += [f"- `{results[n]['command']}`" for n in order]
    return '\n'.join(lines)


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


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--matrix', required=True)
    p.add_argument('--rows', help='comma-separated row names (default: all)')
    p.add_argument('--work-root', default='work_dirs/benchmarks')
    p.add_argument('--doc', default='docs/benchmarks.md')
    p.add_argument('--report-only', action='store_true', help='rebuild the doc from stored results')
    p.add_argument('--rerun', action='store_true', help='train rows again even if a result exists')
    args = p.parse_args(argv)
    matrix = Config.fromfile(args.matrix)
    tag = Path(args.matrix).stem
    work_root = REPO / args.work_root
    wanted = set(args.rows.split(',')) if args.rows else {r['name'] for r in matrix.rows}
    results = {}
    for row in matrix.rows:
        store = work_root / row['name'] / 'result.json'
        old = json.loads(store.read_text()) if store.exists() else None
        if old is not None and old['config'] != row['config']:
            raise ValueError(f"{store}: holds a result of {old['config']}, not {row['config']}; "
                             'give the row another name')
        if row['name'] in wanted and not args.report_only and (old is None or args.rerun):
            old = run_row(row, work_root, os.environ.get('PYTHON', sys.executable))
            store.write_text(json.dumps(old, indent=1))
        if old is not None:
            results[row['name']] = old
    body = render(matrix, results, REPO / 'docs' / 'figures')
    print(body)
    write_section(REPO / args.doc, tag, body)


if __name__ == '__main__':
    main()
