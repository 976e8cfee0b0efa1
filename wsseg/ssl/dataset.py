"""Unlabelled images from a dataset's train folder and any extra folders, as view pairs."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Sequence

import numpy as np
from mmengine.logging import print_log
from torch.utils.data import Dataset

from wsseg.datasets.base import append_bad_data_report, check_bad_data_policy
from wsseg.registry import DATASETS
from wsseg.utils.io import DataError, read_image

from .views import TwoViews

SUFFIXES = ('.jpg', '.jpeg', '.png', '.tif', '.tiff', '.bmp')


def find_images(folders: Sequence[str | Path]) -> list[Path]:
    """Image files under each folder (recursive, sorted; hidden or ``_`` entries skipped).
    A missing folder or one without images is a ``DataError`` naming it."""
    found: list[Path] = []
    for d in folders:
        root = Path(d).expanduser()
        if not root.is_dir():
            raise DataError(f'{root}: unlabelled-image folder not found')
        files = sorted(p for p in root.rglob('*') if p.is_file() and p.suffix.lower() in SUFFIXES
                       and not any(s.startswith(('.', '_')) for s in p.relative_to(root).parts))
        if not files:
            raise DataError(f'{root}: no image ({", ".join(SUFFIXES)}) in this folder')
        found += files
    return found


@DATASETS.register_module()
class UnlabelledImages(Dataset):
    """View pairs (:class:`~wsseg.ssl.views.TwoViews`) of every image under ``folders``.

    Sample ``i`` of the run is image ``perm_e[i % n]`` of epoch ``e = i // n`` (a seeded
    permutation per epoch) with views drawn from ``default_rng([seed, i])``: read in order
    (``DefaultSampler(shuffle=False)``) the run is reproducible, and a resumed run continues
    with the very samples it would have drawn. ``length`` is the number of samples the run
    reads (iterations x batch size); ``None`` means one pass.

    Bad files: ``bad_data='stop'`` raises the ``DataError`` naming the file; ``'skip'`` warns,
    records the file in ``bad_data_report`` (JSON lines) and takes the next image instead.
    """

    def __init__(self, folders: Sequence[str], size: int = 112, length: int | None = None,
                 seed: int = 0, scale: tuple[float, float] = (0.2, 1.0), bad_data: str = 'stop',
                 bad_data_report: str | None = None):
        self.files = find_images(folders)
        self.views = TwoViews(size, scale)
        self.length = int(length) if length else len(self.files)
        self.seed = int(seed)
        self.bad_data = check_bad_data_policy(bad_data, 'UnlabelledImages')
        self.bad_data_report = bad_data_report
        self._bad: set[int] = set()

    def __len__(self) -> int:
        return self.length

    def image_index(self, i: int) -> int:
        n = len(self.files)
        perm = np.random.default_rng([self.seed, 1 << 20, i // n]).permutation(n)
        return int(perm[i % n])

    def __getitem__(self, i: int) -> dict:
        j = self.image_index(i)
        for _ in range(len(self.files)):
            if j not in self._bad:
                try:
                    image = read_image(self.files[j])
                    break
                except DataError as e:
                    if self.bad_data == 'stop':
                        raise
                    self._bad.add(j)
                    print_log(f'bad_data=skip: skipping {self.files[j]}: {e}', logger='current',
                              level=logging.WARNING)
                    if self.bad_data_report:
                        append_bad_data_report(self.bad_data_report, str(self.files[j]), str(e))
            j = (j + 1) % len(self.files)
        else:
            raise DataError(f'UnlabelledImages: every one of the {len(self.files)} images is unreadable')
        out = self.views(image, np.random.default_rng([self.seed, i]))
        return dict(inputs=out['views'], boxes=out['boxes'], flips=out['flips'])
