"""Pseudo-labellers: turn a dataset split into pseudo-masks on disk.

Every labeller implements :meth:`PseudoLabeller.label` for one sample; :meth:`run` does the
rest the same way for all of them: a progress bar, atomic PNG writes (255 = undecided, plus
an optional confidence PNG), resume by skipping finished images, and sharding across ranks.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from mmengine.utils import ProgressBar

from wsseg.utils.io import clean_partial_writes, write_png_atomic


class PseudoLabeller:
    """Base class. Subclasses set up their model in ``__init__`` and implement ``label``."""

    def label(self, results: dict) -> tuple[np.ndarray, np.ndarray | None]:
        """One sample (a pipeline output dict with ``img``) -> (mask uint8 HxW, confidence
        float HxW in [0, 1] or None)."""
        raise NotImplementedError

    def run(self, dataset, out_dir: str | Path, save_confidence: bool = False,
            rank: int = 0, world_size: int = 1, palette: np.ndarray | None = None) -> dict:
        """Label every image of ``dataset`` (raw dicts through its pipeline) into ``out_dir``.

        Images whose PNG already exists are skipped, so an interrupted run resumes. Rank ``r``
        of ``world_size`` labels images ``r, r + world_size, ...``; each is written once.
        """
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        clean_partial_writes(out_dir)
        indices = list(range(rank, len(dataset), world_size))
        done = skipped = 0
        bar = ProgressBar(len(indices)) if rank == 0 else None
        for i in indices:
            info = dataset.get_data_info(i)
            stem = info.get('img_id') or Path(info['img_path']).stem
            target = out_dir / f'{stem}.png'
            if target.exists():
                skipped += 1
            else:
                results = dataset.pipeline(dict(info))
                mask, conf = self.label(results)
                if save_confidence and conf is not None:
                    write_png_atomic(out_dir / 'confidence' / f'{stem}.png',
                                     np.round(np.clip(conf, 0, 1) * 255).astype(np.uint8))
                write_png_atomic(target, mask.astype(np.uint8), palette)   # last: marks done
                done += 1
            if bar is not None:
                bar.update()
        report = dict(out_dir=str(out_dir), labelled=done, skipped_existing=skipped,
                      rank=rank, world_size=world_size)
        if rank == 0:
            (out_dir / 'pseudo_label_report.json').write_text(json.dumps(report, indent=2))
        return report
