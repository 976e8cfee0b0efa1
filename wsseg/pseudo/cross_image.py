"""Tag pseudo-masks from the cross-image superpixel classifier, as a pipeline labeller.

:class:`CrossImageCamLabeller` is refinement (d) of the tags path (``docs/methods/tags.md``) for
``tools/pseudo_label.py`` and ``tools/run_pipeline.py``. Unlike the other labellers it cannot
label one image on its own: the classifier learns from every image's superpixels at once. So it
runs in two passes over the dataset:

1. per image (resumable; one ``.npz`` per image under ``<out>/cross_image_cache/``): the CAMs of
   its tags (scales and flips), the trunk features, SLIC superpixels and their features
   (:func:`wsseg.refine.cross_image.image_superpixels`);
2. hard EM over all superpixels (:func:`wsseg.refine.cross_image.cross_image_labels`), then one
   mask per image, written atomically. Every pixel is decided (a tag of its image).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Sequence

import numpy as np
from mmengine.utils import ProgressBar

from wsseg.datasets.base import check_bad_data_policy
from wsseg.pseudo.base import _stem, finished_png, merge_reports, skip_or_raise
from wsseg.pseudo.cam import CamPseudoLabeller
from wsseg.refine.cross_image import cross_image_labels, dense_trunk_features, image_superpixels
from wsseg.registry import PSEUDO_LABELLERS
from wsseg.utils.io import DataError, atomic_write, clean_partial_writes, write_json_atomic, write_png_atomic

CACHE = 'cross_image_cache'


@PSEUDO_LABELLERS.register_module()
class CrossImageCamLabeller(CamPseudoLabeller):
    """Refinement (d): one superpixel classifier over the whole dataset, started from the CAMs.

    Args:
        model, checkpoint, scales, flip, device, ensemble: the CAM classifier(s), as
            :class:`CamPseudoLabeller`; with an ensemble the CAMs are averaged and the trunk
            features of every member are concatenated.
        n_segments: SLIC superpixels per image.
        feature_scale: input scale of the trunk features pooled into each superpixel.
        rounds, folds, cam_weight: hard-EM options of
            :func:`~wsseg.refine.cross_image.cross_image_labels`.
    """

    def __init__(self, model: dict, checkpoint: str | None = None, scales: Sequence[float] = (1.0,),
                 flip: bool = True, n_segments: int = 300, feature_scale: float = 1.0, rounds: int = 5,
                 folds: int = 2, cam_weight: float = 0.5, device: str | None = None,
                 ensemble: Sequence[str] = ()):
        super().__init__(model, checkpoint, fg_threshold=0.0, bg_threshold=0.0, flip=flip, scales=scales,
                         device=device, ensemble=ensemble)
        self.n_segments, self.feature_scale = int(n_segments), float(feature_scale)
        self.em = dict(rounds=int(rounds), folds=int(folds), cam_weight=float(cam_weight))

    def label(self, results: dict):
        raise TypeError('CrossImageCamLabeller labels a whole dataset at once (its classifier learns from '
                        'every image): call run(dataset, out_dir), e.g. through tools/pseudo_label.py')

    def image_part(self, results: dict) -> dict[str, np.ndarray]:
        """Pass 1 for one pipeline output: its tags and :func:`image_superpixels` (all numpy)."""
        sample = results['data_samples']
        h, w = sample.img_shape
        if sample.weak is None or not len(sample.weak.tags):
            raise DataError(f'{sample.img_path}: no image tags; the cross-image classifier needs at least one '
                            "per image (LoadWeakLabels(sources=[dict(type='Tags', ...)]) in the pipeline)")
        tags = np.asarray(sample.weak.tags, np.int64)
        x = self.preprocess(results)
        cams = self.class_cams(results, x)
        if tags.max() >= cams.shape[0]:
            raise DataError(f"{sample.img_path}: tags {tags[tags >= cams.shape[0]].tolist()} >= the classifier's "
                            f'{cams.shape[0]} classes')
        image = np.ascontiguousarray(results['inputs'].permute(1, 2, 0).cpu().numpy().astype(np.uint8))[:h, :w]
        deep = np.concatenate([dense_trunk_features(m.trunk, x[:, :, :h, :w], (h, w), self.feature_scale)
                               for m in self.members])
        part = image_superpixels(image, cams[tags], deep, self.n_segments)
        part['segments'] = part['segments'].astype(np.uint16 if len(part['areas']) < 2 ** 16 else np.int32)
        return dict(part, tags=tags)

    def run(self, dataset, out_dir: str | Path, save_confidence: bool = False, rank: int = 0,
            world_size: int = 1, palette: np.ndarray | None = None, bad_data: str | None = None) -> dict:
        """Both passes over ``dataset`` into ``out_dir`` (one PNG per image, same report as every
        labeller). Resumes: pass 1 keeps its cached images, and a finished folder is left as it is."""
        if world_size > 1:
            raise ValueError('CrossImageCamLabeller: the hard EM sees every image at once; run it on one process')
        policy = check_bad_data_policy(bad_data or getattr(dataset, 'bad_data', 'stop'), 'CrossImageCamLabeller.run')
        out_dir, t0 = Path(out_dir), time.perf_counter()
        cache = out_dir / CACHE
        cache.mkdir(parents=True, exist_ok=True)
        stems = [_stem(dataset.get_data_info(i)) for i in range(len(dataset))]
        clean_partial_writes(out_dir, names={f'{s}.{ext}' for s in stems for ext in ('png', 'npz')})
        finished = all((out_dir / f'{s}.png').is_file() and finished_png(out_dir / f'{s}.png') for s in stems)
        parts, bad = {}, []
        if not finished:
            print(f'[cross-image] pass 1: CAMs, trunk features and superpixels of {len(dataset)} images')
            bar = ProgressBar(len(dataset))
            for i, stem in enumerate(stems):
                bar.update()
                path = cache / f'{stem}.npz'
                if path.is_file():
                    with np.load(path) as z:
                        parts[stem] = dict(z)
                    continue
                info = dataset.get_data_info(i)
                try:
                    parts[stem] = self.image_part(dataset.pipeline(dict(info)))
                except DataError as e:
                    skip_or_raise(e, info, policy, bad)
                    continue
                with atomic_write(path) as f:
                    np.savez(f, **parts[stem])
            keep = [s for s in stems if s in parts]
            print(f'[cross-image] pass 2: hard EM over {sum(len(parts[s]["areas"]) for s in keep)} superpixels '
                  f'of {len(keep)} images')
            labels = cross_image_labels([parts[s]['features'] for s in keep], [parts[s]['cams'] for s in keep],
                                        [parts[s]['tags'] for s in keep], [parts[s]['areas'] for s in keep],
                                        self.model.num_classes, **self.em)
            for s, lab in zip(keep, labels):
                write_png_atomic(out_dir / f'{s}.png', lab[parts[s]['segments']].astype(np.uint8), palette)
        done = len(parts) if not finished else 0
        mine = dict(rank=0, images=len(stems), labelled=done, skipped_existing=len(stems) - done - len(bad),
                    redone_broken=0, skipped_bad=bad, seconds=round(time.perf_counter() - t0, 3))
        write_json_atomic(out_dir / 'pseudo_label_report.rank0.json', mine)
        return merge_reports(out_dir, 1, len(stems), policy)
