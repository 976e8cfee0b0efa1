"""Pseudo-labellers: turn a dataset split into pseudo-masks on disk.

Every labeller implements :meth:`PseudoLabeller.label` for one sample; :meth:`run` does the
rest the same way for all of them: a progress bar, atomic PNG writes (255 = undecided, plus
an optional confidence PNG), resume by skipping finished images, sharding across ranks, a
bad-data policy, and one ``pseudo_label_report.json``.
"""
from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

import numpy as np
from mmengine.dist import barrier, is_distributed
from mmengine.utils import ProgressBar

from wsseg.datasets.base import check_bad_data_policy
from wsseg.utils.io import DataError, clean_partial_writes, write_json_atomic, write_png_atomic

REPORT = 'pseudo_label_report.json'


class PseudoLabeller:
    """Base class. Subclasses set up their model in ``__init__`` and implement ``label``."""

    def label(self, results: dict) -> tuple[np.ndarray, np.ndarray | None]:
        """One sample (a pipeline output dict with ``img``) -> (mask uint8 HxW, confidence
        float HxW in [0, 1] or None)."""
        raise NotImplementedError

    def run(self, dataset, out_dir: str | Path, save_confidence: bool = False,
            rank: int = 0, world_size: int = 1, palette: np.ndarray | None = None,
            bad_data: str | None = None) -> dict:
        """Label every image of ``dataset`` (raw dicts through its pipeline) into ``out_dir``.

        Images whose PNG already exists whole are skipped, so an interrupted run resumes; the
        mask PNG is written last (after its confidence PNG), so it marks the image done. A
        broken one (0 bytes, truncated, not a PNG: :func:`finished_png`) is labelled again and
        counted in the report's ``redone_broken``. Rank ``r``
        of ``world_size`` labels images ``r, r + world_size, ...``: each is written once.

        ``bad_data`` (default: the dataset's ``bad_data``, else ``'stop'``): ``'stop'`` raises
        the :class:`DataError` naming the file; ``'skip'`` leaves the image out, warns, and
        lists it in the report. A full disk always stops (:class:`~wsseg.utils.io.DiskFullError`).

        Each rank writes its counts to ``pseudo_label_report.rank<r>.json``; under a process
        group rank 0 waits for all (barrier) and merges them into ``pseudo_label_report.json``.
        Returns this rank's report (rank 0: the merged one).
        """
        policy = check_bad_data_policy(bad_data or getattr(dataset, 'bad_data', 'stop'),
                                       f'{type(self).__name__}.run')
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        indices = list(range(rank, len(dataset), world_size))
        stems = {i: _stem(dataset.get_data_info(i)) for i in indices}
        clean_partial_writes(out_dir, names={f'{s}.png' for s in stems.values()})
        done = skipped = redone = 0
        bad: list[dict] = []
        t0 = time.perf_counter()
        bar = ProgressBar(len(indices)) if rank == 0 else None
        for i in indices:
            target = out_dir / f'{stems[i]}.png'
            broken = target.exists() and not finished_png(target)
            redone += broken
            if target.exists() and not broken:
                skipped += 1
            else:
                info = dataset.get_data_info(i)
                try:
                    mask, conf = self.label(dataset.pipeline(dict(info)))
                except DataError as e:
                    skip_or_raise(e, info, policy, bad)
                else:
                    if save_confidence and conf is not None:
                        write_png_atomic(out_dir / 'confidence' / f'{stems[i]}.png',
                                         np.round(np.clip(conf, 0, 1) * 255).astype(np.uint8))
                    write_png_atomic(target, mask.astype(np.uint8), palette)   # last: marks done
                    done += 1
            if bar is not None:
                bar.update()
        mine = dict(rank=rank, images=len(indices), labelled=done, skipped_existing=skipped,
                    redone_broken=redone, skipped_bad=bad, seconds=round(time.perf_counter() - t0, 3))
        write_json_atomic(out_dir / f'pseudo_label_report.rank{rank}.json', mine)
        if world_size > 1 and is_distributed():
            barrier()
        if rank != 0 or (world_size > 1 and not is_distributed()):
            return dict(mine, out_dir=str(out_dir), world_size=world_size)
        return merge_reports(out_dir, world_size, len(dataset), policy)


def skip_or_raise(error: DataError, info: dict, policy: str, bad: list[dict]) -> None:
    """The bad-data policy for one image: ``'stop'`` raises ``error`` naming the image; ``'skip'``
    warns and appends it to ``bad`` (the report's ``skipped_bad``)."""
    if policy == 'stop':
        raise DataError(f"{error} (image {info.get('img_path')}; bad_data='skip' "
                        'would leave it out and list it in the report)') from error
    warnings.warn(f"bad_data='skip': {info.get('img_path')} left out: {error}")
    bad.append(dict(file=str(info.get('img_path')), error=str(error)))


PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
PNG_END = b'\x00\x00\x00\x00IEND\xaeB`\x82'      # the IEND chunk: length 0, type, CRC
PNG_MIN_BYTES = len(PNG_SIGNATURE) + 25 + 12 + len(PNG_END)   # + IHDR and an empty IDAT


def finished_png(path: Path) -> bool:
    """Cheap check that a PNG on disk was written whole: its size, its 8-byte signature and its
    closing IEND chunk (two small reads; the pixels are not decoded). A 0-byte or truncated
    file, or another format, is False."""
    try:
        with open(path, 'rb') as f:
            if f.seek(0, 2) < PNG_MIN_BYTES:
                return False
            f.seek(0)
            head = f.read(len(PNG_SIGNATURE))
            f.seek(-len(PNG_END), 2)
            return head == PNG_SIGNATURE and f.read() == PNG_END
    except OSError:
        return False


def _stem(info: dict) -> str:
    return info.get('img_id') or Path(info['img_path']).stem


def merge_reports(out_dir: Path, world_size: int, total: int, policy: str) -> dict:
    """Merge the per-rank reports into ``pseudo_label_report.json`` (then remove them)."""
    files = [out_dir / f'pseudo_label_report.rank{r}.json' for r in range(world_size)]
    ranks = [json.loads(f.read_text()) for f in files]
    bad = [b for r in ranks for b in r['skipped_bad']]
    report = dict(out_dir=str(out_dir), world_size=world_size, images=total,
                  labelled=sum(r['labelled'] for r in ranks),
                  skipped_existing=sum(r['skipped_existing'] for r in ranks),
                  redone_broken=sum(r.get('redone_broken', 0) for r in ranks),
                  bad_data=policy, skipped_bad=bad,
                  per_rank=[{k: (len(v) if k == 'skipped_bad' else v) for k, v in r.items()}
                            for r in ranks])
    write_json_atomic(out_dir / REPORT, report)
    for f in files:
        f.unlink()
    return report
