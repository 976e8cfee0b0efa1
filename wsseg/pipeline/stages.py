"""The five stages of ``tools/run_pipeline.py``, in order.

=================  ==============================================  ===========================
stage              does                                            writes (under its folder)
=================  ==============================================  ===========================
``weak_labels``    reads or simulates weak labels (any sources)    ``labels/`` (StoredWeakLabels
                                                                   form), ``stats.json``, PNG
``pseudo_labels``  optionally trains a model, then runs any        ``train/``, ``masks/``
                   registered pseudo-labeller over the dataset
``quality``        scores the pseudo-masks against ground truth    ``metrics.json``, PNGs
``stage2``         trains the prompt-free network on them          ``train/``
``evaluate``       tests that network (``tools/test.py``)          ``metrics.json``
=================  ==============================================  ===========================

A stage's config is a dict in the pipeline config under the stage's name. String values may
name earlier outputs: ``${work_dir}``, ``${weak_dir}`` (stage 1's ``labels/``),
``${pseudo_dir}`` (stage 2's ``masks/``), and any top-level string of the pipeline config
(``${voc_root}`` for ``voc_root = '...'``), resolved when the pipeline runs, so
``--cfg-options voc_root=/data/VOC2012`` reaches every stage. Each stage class says what it reads
(:meth:`Stage.inputs`, hashed by the runner), does its work (:meth:`Stage.run`) and checks
that its outputs are all there (:meth:`Stage.complete`).
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
from mmengine.config import Config
from mmengine.utils import ProgressBar

from wsseg.pipeline.digest import FileDigests, config_digest, dataset_digest
from wsseg.pipeline.launch import REPO, StageError, last_checkpoint, run_tool, write_config
from wsseg.registry import DATASETS, TRANSFORMS
from wsseg.utils.io import read_mask, write_json_atomic

_PLACEHOLDER = re.compile(r'\$\{(\w+)\}')


def resolve(obj, paths: dict[str, str]):
    """Replace ``${name}`` in every string of a nested config by ``paths[name]``."""
    if isinstance(obj, str):
        def sub(m):
            if m.group(1) not in paths:
                raise KeyError(f'unknown placeholder ${{{m.group(1)}}}; known: {sorted(paths)}')
            return paths[m.group(1)]
        return _PLACEHOLDER.sub(sub, obj)
    if isinstance(obj, dict):
        return type(obj)((k, resolve(v, paths)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(resolve(v, paths) for v in obj)
    return obj


def plain(obj):
    """ConfigDicts -> dicts, recursively (tuples stay tuples: mmseg checks for them)."""
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(plain(v) for v in obj)
    return obj


def repo_path(p: str | Path) -> Path:
    """A path as given, or relative to the repository root (where configs are named from)."""
    p = Path(p)
    return p if p.is_absolute() or p.exists() else REPO / p


def load_config(spec: dict) -> Config:
    """``spec['config']`` merged with ``spec['cfg_options']``; ``spec['env']`` sets environment
    variables while the file is read, for configs that use mmengine's ``{{$VAR:default}}``;
    ``spec['weak_loader']`` replaces the training's weak-label loading (:func:`swap_weak_loader`)."""
    env = {k: str(v) for k, v in (spec.get('env') or {}).items()}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        cfg = Config.fromfile(str(repo_path(spec['config'])))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    cfg.merge_from_dict(dict(spec.get('cfg_options') or {}))
    if spec.get('weak_loader'):
        swap_weak_loader(cfg, dict(spec['weak_loader']), str(spec['config']))
    return cfg


def swap_weak_loader(cfg: Config, loader: dict, what: str) -> Config:
    """Make the training of ``cfg`` read its weak labels with ``loader`` (e.g. stage 1's stored
    ones): the train pipeline's ``LoadWeakLabels`` step becomes ``loader`` and ``LoadMask`` is
    dropped, so the training never sees a true mask. Every other step (the config's own resizing
    and augmentation) stays as it is."""
    ds = cfg.train_dataloader.dataset
    while 'pipeline' not in ds and 'dataset' in ds:    # dataset wrappers (RepeatDataset, ...)
        ds = ds.dataset
    steps = list(ds.get('pipeline') or [])
    types = [s.get('type') for s in steps]
    if any(s.get('type') == 'PackSegInputs' and s.get('target', 'gt') == 'gt' for s in steps):
        raise ValueError(f"{what}: the train pipeline packs the true masks (PackSegInputs target='gt'); a "
                         "training on weak labels packs target='partial' or 'none'")
    if types.count('LoadWeakLabels') != 1:
        raise ValueError(f"{what}: weak_loader replaces the one LoadWeakLabels step of the train pipeline, "
                         f'but that pipeline is {types}')
    steps[types.index('LoadWeakLabels')] = loader
    ds.pipeline = [s for s in steps if s.get('type') != 'LoadMask']
    return cfg


class Stage:
    """One stage: ``spec`` is its (resolved) config, ``folder`` its output folder."""

    name = ''

    def __init__(self, spec: dict, folder: Path, ctx: 'Context'):
        self.spec, self.folder, self.ctx = spec, folder, ctx

    @classmethod
    def placeholders(cls, spec: dict, folder: Path) -> dict[str, str]:
        """``${name}`` values this stage's own config may use (resolved before it runs)."""
        return {}

    def inputs(self) -> dict:
        """What the stage reads, as JSON-able digests (the runner hashes it with the spec)."""
        return {}

    def run(self) -> dict:
        """Do the work; return the record's ``outputs`` (paths, counts, metrics)."""
        raise NotImplementedError

    def complete(self, outputs: dict) -> bool:
        """Whether the outputs recorded when the stage finished are all still there."""
        return True

    def output_digest(self, outputs: dict) -> str:
        """Digest of the outputs now (later stages depend on it)."""
        return ''


class Context:
    """What stages share: the work dir, file digests, launch settings, earlier stages."""

    def __init__(self, work_dir: Path, digests: FileDigests, nproc: int = 1):
        self.work_dir, self.digests, self.nproc = work_dir, digests, nproc
        self.outputs: dict[str, dict] = {}           # stage name -> its recorded outputs
        self.specs: dict[str, dict] = {}             # stage name -> its resolved config
        self.paths = dict(work_dir=str(work_dir),
                          weak_dir=str(work_dir / 'weak_labels' / 'labels'),
                          pseudo_dir=str(work_dir / 'pseudo_labels' / 'masks'))

    def build_dataset(self, cfg: dict):
        return DATASETS.build(dict(cfg))


def link_checkpoint(src: Path, dst: Path) -> str:
    """``dst`` becomes the same file as ``src`` (a hard link; a copy across file systems)."""
    import shutil
    tmp = dst.with_name(f'.{dst.name}.tmp')
    tmp.unlink(missing_ok=True)
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copyfile(src, tmp)
    os.replace(tmp, dst)
    return str(dst)


def _count(folder: Path, pattern: str) -> int:
    return sum(1 for p in folder.glob(pattern) if not p.name.startswith('.')) if folder.is_dir() else 0


def _stem(info: dict) -> str:
    return info.get('img_id') or Path(info['img_path']).stem


# ---------------------------------------------------------------------------- 1. weak labels
class WeakLabelsStage(Stage):
    """``weak_labels=dict(dataset=..., sources=[...])``: every image's weak labels, read from
    its annotations or simulated from its mask by the sources, saved in one form."""

    name = 'weak_labels'

    def _dataset(self):
        sources = list(self.spec['sources'])
        simulate = any(s.get('simulate') for s in sources)
        pipeline = [dict(type='LoadImage')] + ([dict(type='LoadMask')] if simulate else []) + \
                   [dict(type='LoadWeakLabels', sources=sources)]
        return self.ctx.build_dataset(dict(self.spec['dataset'], pipeline=pipeline))

    def inputs(self) -> dict:
        return dict(data=dataset_digest(self._dataset(), self.ctx.digests))

    def run(self) -> dict:
        from wsseg.weak import load_weak_labels, save_weak_labels
        from wsseg.visualization.plots import save_overlay_grid
        ds = self._dataset()
        out = self.folder / 'labels'
        fractions, boxes, points, tags, shown = [], 0, 0, 0, []
        bar = ProgressBar(len(ds))
        for i in range(len(ds)):
            info = ds.get_data_info(i)
            if (out / f'{_stem(info)}.json').is_file() and len(shown) >= 4:   # resumed run
                weak = load_weak_labels(out, _stem(info))
            else:
                results = ds.pipeline(dict(info))
                weak = results['weak']
                save_weak_labels(weak, out, _stem(info))
                if len(shown) < 4:
                    shown.append((results['img'], weak))
            fractions.append(weak.labelled_fraction())
            boxes, points, tags = boxes + len(weak.boxes), points + len(weak.points), tags + len(weak.tags)
            bar.update()
        stats = dict(images=len(ds), labelled_fraction_mean=float(np.mean(fractions)),
                     boxes=boxes, points=points, tags=tags)
        write_json_atomic(self.folder / 'stats.json', stats)
        palette = ds.metainfo.get('palette')
        save_overlay_grid(self.folder / 'weak_labels.png', [img for img, _ in shown],
                          [[_box_mask(w), w.partial_mask()] for _, w in shown],
                          ['boxes (filled)', 'scribbles + points'], palette=palette)
        return dict(dir=str(out), count=len(ds), metrics=stats)

    def complete(self, outputs: dict) -> bool:
        return _count(Path(outputs['dir']), '*.json') == outputs['count']

    def output_digest(self, outputs: dict) -> str:
        return self.ctx.digests.folder(outputs['dir'])


def _box_mask(weak) -> np.ndarray:
    """Boxes painted with their class (larger boxes first), 255 elsewhere: for pictures."""
    m = np.full(weak.image_size, 255, np.uint8)
    order = np.argsort([-(b[2] - b[0]) * (b[3] - b[1]) for b in weak.boxes]) if len(weak.boxes) else []
    for j in order:
        x1, y1, x2, y2 = (int(round(float(v))) for v in weak.boxes[j])
        m[y1:y2, x1:x2] = weak.box_labels[j]
    return m


# ---------------------------------------------------------------------------- 2. pseudo-labels
class PseudoLabelsStage(Stage):
    """``pseudo_labels=dict(train=..., labeller=dict(...), dataset=dict(...), save_confidence=False)``.

    ``train`` (optional) is one ``dict(config=..., cfg_options=..., env=None, weak_loader=None)`` or a
    list of them, each with a ``name``: wsseg training configs (dense losses, logic loss, CAM, patch classifiers)
    trained first by ``tools/train.py`` (resumable) in ``train_<name>/``, each last checkpoint
    linked as ``<name>.pth`` and named in the labeller's config by ``${checkpoint_<name>}``.
    ``weak_loader`` (a pipeline step, e.g. one reading ``${weak_dir}``) takes the place of the
    config's ``LoadWeakLabels`` step and ``LoadMask`` goes (:func:`swap_weak_loader`): the training
    learns from stage 1's weak labels with its own augmentation.
    A single training (name ``model``) also becomes the labeller's ``checkpoint`` and lends it
    its config (e.g. ``model`` for ``NetworkPseudoLabeller``). Then ``tools/pseudo_label.py`` runs
    the labeller (any PSEUDO_LABELLERS entry) over ``dataset`` into ``masks/``, resumably.
    """

    name = 'pseudo_labels'

    @staticmethod
    def trainings(spec: dict) -> list[dict]:
        train = spec.get('train')
        if not train:
            return []
        items = [dict(train, name=train.get('name', 'model'))] if isinstance(train, dict) else list(train)
        names = [t.get('name') for t in items]
        if None in names or len(set(names)) != len(names):
            raise ValueError(f'pseudo_labels.train: a list of trainings needs distinct names, got {names}')
        return items

    @classmethod
    def placeholders(cls, spec: dict, folder: Path) -> dict[str, str]:
        return {f"checkpoint_{t['name']}": str(folder / f"{t['name']}.pth") for t in cls.trainings(spec)}

    def _train_cfgs(self) -> dict[str, Config]:
        return {t['name']: load_config(t) for t in self.trainings(self.spec)}

    def inputs(self) -> dict:
        ds = self.ctx.build_dataset(self.spec['dataset'])
        return dict(train={k: c.pretty_text for k, c in self._train_cfgs().items()},
                    data=dataset_digest(ds, self.ctx.digests))

    def run(self) -> dict:
        train_cfgs, checkpoints = self._train_cfgs(), {}
        for name, cfg in train_cfgs.items():
            path = write_config(cfg, self.folder / f'train_{name}_config.py')
            run_tool('train.py', [str(path), '--work-dir', str(self.folder / f'train_{name}'), '--resume'],
                     self.folder / f'train_{name}.log', self.ctx.nproc, self.name)
            checkpoints[name] = link_checkpoint(last_checkpoint(self.folder / f'train_{name}', self.name),
                                                self.folder / f'{name}.pth')
        single = len(train_cfgs) == 1
        label_cfg = next(iter(train_cfgs.values())).copy() if single else Config(dict(custom_imports=dict(
            imports=['wsseg.datasets', 'wsseg.weak', 'wsseg.models', 'wsseg.pseudo', 'wsseg.patch'])))
        labeller = dict(self.spec['labeller'])
        if single and labeller.get('checkpoint') is None and labeller.pop('use_checkpoint', True):
            labeller['checkpoint'] = next(iter(checkpoints.values()))
        labeller.pop('use_checkpoint', None)
        label_cfg.merge_from_dict(dict(pseudo_labeller=labeller, pseudo_dataset=self.spec['dataset']))
        path = write_config(label_cfg, self.folder / 'label_config.py')
        args = [str(path), '--out', str(self.folder / 'masks')]
        if self.spec.get('save_confidence'):
            args.append('--save-confidence')
        run_tool('pseudo_label.py', args, self.folder / 'pseudo_label.log', self.ctx.nproc, self.name)
        report = json.loads((self.folder / 'masks' / 'pseudo_label_report.json').read_text())
        count = len(self.ctx.build_dataset(self.spec['dataset']))
        return dict(dir=str(self.folder / 'masks'), count=count - len(report.get('skipped_bad', [])),
                    checkpoints=checkpoints, report=report)

    def complete(self, outputs: dict) -> bool:
        return _count(Path(outputs['dir']), '*.png') >= outputs['count']

    def output_digest(self, outputs: dict) -> str:
        return self.ctx.digests.folder(outputs['dir'], '*.png')


# ---------------------------------------------------------------------------- 3. quality
def spread(n: int, k: int) -> set[int]:
    """Up to ``k`` indices of ``range(n)``, evenly spaced from the first to the last: the images a
    picture shows (folders are often sorted by class or by scene, so the first ``k`` look alike)."""
    if n <= 0 or k <= 0:
        return set()
    return set(np.linspace(0, n - 1, min(k, n)).round().astype(int).tolist())


class QualityStage(Stage):
    """``quality=dict(dataset=None, pictures=6)``: pseudo-masks against the dataset's full
    masks (default: the pseudo-label dataset), as mIoU, per-class IoU/P/R/F1, the decided
    share, a confusion-matrix PNG and an overlay PNG (``pictures`` images spread evenly over the
    dataset), and the HTML report ``report/index.html``
    (:mod:`wsseg.visualization.report`: its gallery shows the ``pictures`` worst images, with
    stage 1's weak labels when it ran). Without ground truth the report holds the gallery and
    the class areas, and the stage says so."""

    name = 'quality'

    def _dataset(self):
        cfg = self.spec.get('dataset') or self.ctx.specs['pseudo_labels']['dataset']
        return self.ctx.build_dataset(dict(cfg, pipeline=[dict(type='LoadImage'), dict(type='LoadMask')]))

    def inputs(self) -> dict:
        return dict(data=dataset_digest(self._dataset(), self.ctx.digests))

    def run(self) -> dict:
        from wsseg.evaluation import print_report
        from wsseg.utils.io import read_image
        from wsseg.visualization.plots import plot_confusion, save_overlay_grid
        from wsseg.visualization.report import MaskReport
        from wsseg.weak import load_weak_labels
        ds = self._dataset()
        pseudo_dir = Path(self.ctx.outputs['pseudo_labels']['dir'])
        weak_dir = self.ctx.outputs.get('weak_labels', {}).get('dir')
        classes = tuple(ds.metainfo['classes'])
        k = len(classes)
        pictures = int(self.spec.get('pictures', 6))
        report = MaskReport(classes, ds.metainfo.get('palette'), gallery=pictures,
                            title=f'pseudo-masks of {pseudo_dir}')
        picks = spread(len(ds), pictures)
        shown = []
        bar = ProgressBar(len(ds))
        for i in range(len(ds)):
            info = ds.get_data_info(i)
            bar.update()
            stem = _stem(info)
            pred_path = pseudo_dir / f'{stem}.png'
            if not pred_path.is_file():
                report.skip(stem, 'no pseudo-mask')
                continue
            has_gt = info.get('seg_map_path') or info.get('semantic_mask_fn') is not None
            if has_gt:
                results = ds.pipeline(dict(info))
                img, gt = results['img'], results.get('gt_seg_map')
            else:
                img, gt = read_image(info['img_path']), None
            pred = read_mask(pred_path, k, shape=img.shape[:2] if gt is None else gt.shape)
            weak = None
            if weak_dir and (Path(weak_dir) / f'{stem}.json').is_file():
                weak = load_weak_labels(weak_dir, stem).partial_mask()
            report.add(stem, pred, gt, image=img, weak=weak)
            if gt is not None and i in picks:
                shown.append((img, pred, gt))
        page = report.write(self.folder / 'report', config=plain(self.ctx.specs))
        print(f'[quality] report: {page}')
        if not report.has_gt:
            return dict(metrics=None, note='no ground truth to score the pseudo-masks against',
                        report=str(page))
        result = dict(report.metrics(), pseudo_dir=str(pseudo_dir))
        print(print_report(result))
        write_json_atomic(self.folder / 'metrics.json', result)
        plot_confusion(report.cm, classes, self.folder / 'confusion.png', title='pseudo-masks vs ground truth')
        save_overlay_grid(self.folder / 'overlays.png', [s[0] for s in shown], [s[1:] for s in shown],
                          ['pseudo-mask', 'ground truth'], palette=ds.metainfo.get('palette'),
                          classes=classes)
        return dict(metrics={k_: result[k_] for k_ in ('mIoU', 'aAcc', 'labelled_fraction')},
                    num_images=report.scored, report=str(page))

    def complete(self, outputs: dict) -> bool:
        return (outputs.get('metrics') is None or (self.folder / 'metrics.json').is_file()) and \
            (not outputs.get('report') or Path(outputs['report']).is_file())


# ---------------------------------------------------------------------------- 4. second stage
class Stage2Stage(Stage):
    """``stage2=dict(config=..., cfg_options=dict(...), env=None)``: train the prompt-free network (an
    mmseg DeepLabV3+ / Mask2Former config, or any wsseg config) on ``${pseudo_dir}``."""

    name = 'stage2'

    def _cfg(self) -> Config:
        return load_config(self.spec)

    def inputs(self) -> dict:
        return dict(config=self._cfg().pretty_text)

    def run(self) -> dict:
        path = write_config(self._cfg(), self.folder / 'config.py')
        run_tool('train.py', [str(path), '--work-dir', str(self.folder / 'train'), '--resume'],
                 self.folder / 'train.log', self.ctx.nproc, self.name)
        return dict(config=str(path), checkpoint=str(last_checkpoint(self.folder / 'train', self.name)))

    def complete(self, outputs: dict) -> bool:
        return Path(outputs['checkpoint']).is_file()

    def output_digest(self, outputs: dict) -> str:
        return self.ctx.digests.file(outputs['checkpoint'])


# ---------------------------------------------------------------------------- 5. evaluation
class EvaluateStage(Stage):
    """``evaluate=dict(cfg_options=dict(...))``: ``tools/test.py`` on the second stage's
    config and checkpoint (its test dataloader; override it here, e.g. for another split)."""

    name = 'evaluate'

    def run(self) -> dict:
        st2 = self.ctx.outputs['stage2']
        cfg = Config.fromfile(st2['config'])
        cfg.merge_from_dict(dict(self.spec.get('cfg_options') or {}))
        path = write_config(cfg, self.folder / 'test_config.py')
        run_tool('test.py', [str(path), st2['checkpoint'], '--work-dir', str(self.folder)],
                 self.folder / 'test.log', self.ctx.nproc, self.name)
        metrics = newest_test_metrics(self.folder)
        write_json_atomic(self.folder / 'metrics.json', metrics)
        return dict(metrics=metrics)

    def complete(self, outputs: dict) -> bool:
        return (self.folder / 'metrics.json').is_file()


def newest_test_metrics(work_dir: Path) -> dict:
    """The metrics of the newest test run in ``work_dir`` (:func:`last_test_record`), without
    timings and without values that could not be read."""
    from wsseg.engine.loops import last_test_record
    try:
        record = last_test_record(work_dir)
    except FileNotFoundError as e:
        raise StageError(f'stage evaluate: {e}') from None
    return {k: v for k, v in record.items()
            if v is not None and k not in ('data_time', 'time', 'step', 'iter', 'epoch')}


STAGES: dict[str, type[Stage]] = {s.name: s for s in (
    WeakLabelsStage, PseudoLabelsStage, QualityStage, Stage2Stage, EvaluateStage)}
