"""Val and test loops that score exactly the images that could be read.

With ``bad_data='skip'`` on a wsseg dataset, an unreadable val or test image used to be
replaced by another image of the split (mmengine refetches), which was then scored twice.
:class:`SkipAwareValLoop` / :class:`SkipAwareTestLoop` (``WssegRunner`` uses them for the
plain ``ValLoop`` / ``TestLoop``) mark the dataset as under evaluation, so a bad image comes
out as a :class:`~wsseg.datasets.base.SkippedSample`; the batch goes to the model without it,
and the metric is computed over the rest. The metrics gain ``images_scored`` and
``images_skipped``; the skipped files are printed in the log summary and written, with their
errors, to ``<log_dir>/{val,test}_skipped_images.json``.
"""
from __future__ import annotations

import json
import logging
import re
from functools import partial
from pathlib import Path

from mmengine.dist import all_gather_object, is_main_process
from mmengine.logging import print_log
from mmengine.runner import TestLoop, ValLoop

from wsseg.datasets.base import SkippedSample
from wsseg.registry import LOOPS
from wsseg.utils.io import write_json_atomic

SKIPPED = 'skipped_samples'


def last_test_record(work_dir: str | Path) -> dict:
    """The record mmengine's LoggerHook dumped after the newest test run in ``work_dir``
    (``<stamp>/<stamp>.json``). Its dump writes numpy integers (``images_scored``,
    ``images_skipped``) as null; those are read back from the run's last ``Iter(test)`` log line,
    and stay None where the line lacks them. FileNotFoundError when there is no test record."""
    runs = sorted((p for p in Path(work_dir).glob('*/*.json') if p.stem == p.parent.name),
                  key=lambda p: p.stat().st_mtime)
    if not runs:
        raise FileNotFoundError(f'{work_dir}: no test result (<timestamp>/<timestamp>.json) found')
    record = json.loads(runs[-1].read_text().splitlines()[-1])
    missing = [k for k, v in record.items() if v is None]
    if missing:
        log = runs[-1].with_suffix('.log')
        lines = log.read_text(errors='replace').splitlines() if log.is_file() else []
        line = next((x for x in reversed(lines) if 'Iter(test)' in x), '') + ' '
        for k in missing:
            m = re.search(rf'\b{re.escape(k)}: (-?\d+)\s', line)
            record[k] = int(m.group(1)) if m else None
    return record


def collate_skipping(batch: list, collate_fn) -> dict:
    """``collate_fn`` over the readable samples; the skipped ones under ``SKIPPED``."""
    kept = [b for b in batch if not isinstance(b, SkippedSample)]
    out = collate_fn(kept) if kept else dict(inputs=[], data_samples=[])
    out[SKIPPED] = [b for b in batch if isinstance(b, SkippedSample)]
    return out


def _neutral_result(metric):
    """An entry that adds nothing to ``metric``'s results, or None when the metric has none.
    One entry per sample keeps mmengine's cut of a padded distributed sampler right."""
    from wsseg.evaluation.confusion_metric import ConfusionMetric
    if isinstance(metric, ConfusionMetric):     # wsseg's metrics: None is a sample without truth
        return (None,)
    return None


class _SkipAware:
    """Mixin of the val and test loops (see the module docstring)."""

    mode = ''

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_skipping()

    def run_iter(self, idx, data_batch) -> None:
        data_batch, any_left = self._split(data_batch)
        if any_left:
            super().run_iter(idx, data_batch)

    def _setup_skipping(self) -> None:
        self.skipped: list[SkippedSample] = []
        dataset = self.dataloader.dataset
        if hasattr(dataset, 'evaluation'):
            dataset.evaluation = True
        self.dataloader.collate_fn = partial(collate_skipping, collate_fn=self.dataloader.collate_fn)
        evaluate = self.evaluator.evaluate
        self.evaluator.evaluate = lambda size: self._with_counts(evaluate(size), size)

    def _split(self, data_batch) -> tuple[object, bool]:
        """Record the batch's skipped samples; returns the batch and whether any image is left."""
        skipped = data_batch.pop(SKIPPED, []) if isinstance(data_batch, dict) else []
        self.skipped.extend(skipped)
        for metric in self.evaluator.metrics:
            entry = _neutral_result(metric)
            if entry is not None:
                metric.results.extend(entry * len(skipped))
        if not isinstance(data_batch, dict):
            return data_batch, True
        return data_batch, len(data_batch.get('inputs', ())) > 0     # a list or a stacked tensor

    def _with_counts(self, metrics: dict, size: int) -> dict:
        skipped = [s for part in all_gather_object(self.skipped) for s in part]
        self.skipped = []
        metrics = dict(metrics, images_scored=size - len(skipped), images_skipped=len(skipped))
        if skipped and is_main_process():
            path = Path(self.runner.log_dir) / f'{self.mode}_skipped_images.json'
            write_json_atomic(path, dict(images=size, scored=size - len(skipped),
                                         skipped=[dict(file=s.file, error=s.error) for s in skipped]))
            files = '\n  '.join(s.file for s in skipped)
            print_log(f'{self.mode}: scored {size - len(skipped)} of {size} images; '
                      f"{len(skipped)} skipped as bad data (bad_data='skip'), listed in {path}:\n  "
                      f'{files}', logger='current', level=logging.WARNING)
        return metrics


@LOOPS.register_module()
class SkipAwareValLoop(_SkipAware, ValLoop):
    """mmengine's ``ValLoop`` that leaves skipped images out of the metric and reports them."""

    mode = 'val'


@LOOPS.register_module()
class SkipAwareTestLoop(_SkipAware, TestLoop):
    """mmengine's ``TestLoop`` that leaves skipped images out of the metric and reports them."""

    mode = 'test'
