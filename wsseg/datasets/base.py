"""The dataset base class every wsseg dataset derives from.

A dataset's ``load_data_list`` returns one dict per image. Keys (only ``img_path`` and
``img_id`` are required; a reader follows one image through these keys to the pipeline):

- ``img_path``: image file; ``img_id``: a stable id (file stem), used for output names;
- ``seg_map_path``: full ground-truth class-index mask (optional);
- ``tags``: list[int], image-level class labels;
- ``boxes``: (N, 4) float xyxy 0-based, x2/y2 exclusive; ``box_labels``: (N,) int;
- ``instance_masks``: list of (H, W) bool, one per box, when the format has instances;
- ``scribble_path``: a rasterised scribble PNG (255 = unlabelled) or a ScribbleSup XML;
- ``points``: (M, 2) int (x, y); ``point_labels``: (M,) int;
- ``image_label``: int, one label for the whole frame (DeepSeagrass frames);
- ``patch_label``: int, the label of a patch image (DeepSeagrass patch folders).

The pipeline (``wsseg.datasets.transforms``) turns that into ``img``, ``gt_seg_map`` and
``weak`` (a :class:`wsseg.structures.WeakLabels`) and packs a training sample.

Bad files: ``bad_data='stop'`` (default) lets the :class:`~wsseg.utils.io.DataError` naming
the file stop the run; ``bad_data='skip'`` skips the sample, warns naming the file and appends
one JSON line per skip to ``bad_data_report`` (safe from several dataloader workers;
:func:`read_bad_data_report` reads it back, one entry per file). In training mmengine then
fetches another sample. In evaluation (``evaluation = True``, set by wsseg's val and test
loops) the sample becomes a :class:`SkippedSample`: it is left out of the metric, never
replaced by another image, and the loop lists it beside the metrics
(:mod:`wsseg.engine.loops`).
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from wsseg.registry import TRANSFORMS
from wsseg.structures import ClassMeta, make_palette
from wsseg.utils.io import DataError

BAD_DATA_POLICIES = ('stop', 'skip')


@dataclass(frozen=True)
class SkippedSample:
    """What an evaluation dataset gives for an image skipped as bad data: the file and why."""
    file: str
    error: str


def check_bad_data_policy(policy: str, where: str) -> str:
    if policy not in BAD_DATA_POLICIES:
        raise ValueError(f"{where}: bad_data={policy!r}, expected one of {BAD_DATA_POLICIES}")
    return policy


def append_bad_data_report(path: str | os.PathLike, file: str, error: str) -> None:
    """Append one JSON line; a single ``O_APPEND`` write, so workers do not interleave."""
    line = (json.dumps(dict(file=str(file), error=error)) + '\n').encode()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)   # as open()
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def read_bad_data_report(path: str | os.PathLike) -> list[dict]:
    """The skipped files of a report, one ``dict(file, error)`` per file (first error kept)."""
    if not Path(path).is_file():
        return []
    seen: dict[str, dict] = {}
    for line in Path(path).read_text().splitlines():
        if line.strip():
            rec = json.loads(line)
            seen.setdefault(rec['file'], rec)
    return list(seen.values())


class WeakSegDataset(BaseDataset):
    """mmengine ``BaseDataset`` with class metadata, an error for an empty split, and a bad
    data policy (``bad_data='stop'|'skip'``, ``bad_data_report``: see the module docstring;
    in ``test_mode`` ``skip`` acts only under wsseg's evaluation loops, which leave the image
    out of the metric and report it)."""

    METAINFO: dict = dict(classes=(), palette=None)

    def __init__(self, *args, ignore_index: int = 255, bad_data: str = 'stop',
                 bad_data_report: str | None = None, **kwargs):
        self.ignore_index = ignore_index
        self.bad_data = check_bad_data_policy(bad_data, type(self).__name__)
        self.bad_data_report = bad_data_report
        self.skipped: list[dict] = []     # this process's skips
        self.evaluation = False           # set by wsseg's val / test loops
        # build wsseg transforms here, so the dataset works outside a 'wsseg'-scoped Runner too
        pipeline = kwargs.get('pipeline') or []
        kwargs['pipeline'] = [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline]
        super().__init__(*args, **kwargs)

    def filter_data(self) -> list[dict]:
        # runs before mmengine serialises (and empties) data_list
        data_list = super().filter_data()
        if not data_list:
            raise DataError(f'{self.describe()}: the dataset is empty (no image found)')
        return data_list

    def prepare_data(self, idx: int):
        if self.bad_data == 'stop' or (self.test_mode and not self.evaluation):
            return super().prepare_data(idx)
        try:
            return super().prepare_data(idx)
        except DataError as e:
            file = self.get_data_info(idx).get('img_path', f'#{idx}')
            print_log(f'bad_data=skip: skipping {file}: {e}', logger='current', level=logging.WARNING)
            self.skipped.append(dict(file=str(file), error=str(e)))
            if self.bad_data_report:
                append_bad_data_report(self.bad_data_report, file, str(e))
            if self.evaluation:     # left out of the metric, never replaced by another image
                return SkippedSample(str(file), str(e))
            return None       # training: mmengine's BaseDataset then fetches another index

    def __getitem__(self, idx: int):
        if not self.evaluation:
            return super().__getitem__(idx)
        if not self._fully_initialized:
            self.full_init()
        data = self.prepare_data(idx)   # no retry with another index, also in test_mode
        if data is None:
            raise ValueError(f'{self.describe()}: the pipeline dropped sample {idx} '
                             f"({self.get_data_info(idx).get('img_path')}) during evaluation")
        return data

    def _load_metainfo(self, metainfo=None):
        meta = super()._load_metainfo(metainfo)
        if meta.get('classes') and meta.get('palette') is None:
            meta['palette'] = make_palette(len(meta['classes'])).tolist()
        return meta

    @property
    def class_meta(self) -> ClassMeta:
        import numpy as np
        return ClassMeta(tuple(self.metainfo['classes']),
                         np.asarray(self.metainfo['palette'], np.uint8))

    def describe(self) -> str:
        """Where this dataset reads from, for error messages."""
        return f'{type(self).__name__}(data_root={self.data_root!r}, ann_file={self.ann_file!r})'

    def parse_data_info(self, raw_data_info: dict) -> dict:
        raw_data_info.setdefault('classes', tuple(self.metainfo['classes']))
        return raw_data_info
