"""Run the pipeline's stages in order, skipping those whose outputs are complete and current.

Each stage keeps ``<work_dir>/<stage>/stage.json``: its key (a digest of the stage's resolved
config, what it reads and the current outputs of the stages before it), status, outputs and
time. A stage is skipped when its record is ``done`` with the same key and its outputs are all
there; a changed key clears the stage's folder (stale outputs must not be resumed into), and
an interrupted stage with the same key resumes (training from its last checkpoint,
pseudo-labelling and weak labels from the files already written).
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

from mmengine.config import Config

from wsseg.pipeline.digest import FileDigests, digest_json
from wsseg.pipeline.stages import STAGES, Context, plain, resolve
from wsseg.utils.io import write_json_atomic

ORDER = tuple(STAGES)


def read_record(folder: Path) -> dict | None:
    import json
    f = folder / 'stage.json'
    try:
        return json.loads(f.read_text()) if f.is_file() else None
    except ValueError:
        return None            # a damaged record: the stage runs again


def run_pipeline(cfg: Config, work_dir: str | Path | None = None, force: tuple[str, ...] = (),
                 until: str | None = None, nproc: int = 1, rehash: bool = False) -> dict:
    """Run every stage configured in ``cfg`` (a pipeline config); returns ``{stage: record}``.

    ``force`` reruns the named stages (later stages rerun when their inputs changed);
    ``until`` stops after that stage; ``nproc > 1`` runs training and pseudo-labelling under
    torchrun.
    """
    unknown = set(force) - set(ORDER) | ({until} - set(ORDER) - {None})
    if unknown:
        raise ValueError(f'unknown stage(s) {sorted(unknown)}; the stages are {list(ORDER)}')
    work_dir = Path(work_dir or cfg.get('work_dir') or 'work_dirs/pipeline').resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    digests = FileDigests(work_dir / '.digests.json', rehash=rehash)
    ctx = Context(work_dir, digests, nproc)
    # top-level strings of the config are placeholders too (resolved now, so --cfg-options
    # voc_root=... reaches every stage, unlike a config variable, which mmengine resolves at parse)
    ctx.paths = {**{k: v for k, v in cfg.items() if isinstance(v, str)}, **ctx.paths}
    names = [n for n in ORDER if cfg.get(n) is not None]
    for name in names:
        ctx.paths.update(STAGES[name].placeholders(plain(cfg[name]), work_dir / name))
    # every stage's config is resolved before any runs: an unknown ${name} fails at once
    ctx.specs = {name: resolve(plain(cfg[name]), ctx.paths) for name in names}
    records, upstream = {}, []
    try:
        for name in names:
            folder = work_dir / name
            spec = ctx.specs[name]
            stage = STAGES[name](spec, folder, ctx)
            key = digest_json(dict(stage=name, spec=spec, inputs=stage.inputs(), upstream=upstream))
            old = read_record(folder)
            if (name not in force and old and old.get('status') == 'done' and old.get('key') == key
                    and stage.complete(old['outputs'])):
                print(f'[pipeline] {name}: up to date, skipped ({folder})', flush=True)
                rec = old
            else:
                if old and old.get('key') != key and folder.exists():
                    print(f'[pipeline] {name}: inputs or config changed, clearing {folder}', flush=True)
                    shutil.rmtree(folder)
                elif old:
                    print(f'[pipeline] {name}: resuming ({old.get("status")})', flush=True)
                folder.mkdir(parents=True, exist_ok=True)
                write_json_atomic(folder / 'stage.json', dict(stage=name, key=key, status='running'))
                t0 = time.time()
                outputs = stage.run()
                rec = dict(stage=name, key=key, status='done', outputs=outputs,
                           seconds=round(time.time() - t0, 1))
                write_json_atomic(folder / 'stage.json', rec)
                print(f'[pipeline] {name}: done in {rec["seconds"]} s', flush=True)
            records[name] = rec
            ctx.outputs[name] = rec['outputs']
            upstream.append([name, key, stage.output_digest(rec['outputs'])])
            digests.save()
            if name == until:
                break
    finally:
        digests.save()
    write_report(work_dir, records)
    return records


def write_report(work_dir: Path, records: dict) -> Path:
    """``<work_dir>/pipeline_report.md``: one line per stage with its time and metrics."""
    lines = ['# Pipeline report', '', f'Work dir: `{work_dir}`', '',
             '| stage | status | time | result |', '|---|---|---|---|']
    for name, rec in records.items():
        out = rec.get('outputs', {})
        m = out.get('metrics')
        if isinstance(m, dict):
            shown = ', '.join(f'{k} {v:.2f}' if isinstance(v, float) else f'{k} {v}'
                              for k, v in m.items() if not isinstance(v, (dict, list)))
        else:
            shown = out.get('note') or (f"{out['count']} files" if 'count' in out else '')
        lines.append(f"| {name} | {rec['status']} | {rec.get('seconds', 0):.0f} s | {shown} |")
    path = work_dir / 'pipeline_report.md'
    path.write_text('\n'.join(lines) + '\n')
    print('\n'.join(lines[4:]), flush=True)
    return path
