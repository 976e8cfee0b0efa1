"""Seeds from class activation maps: image tags -> pseudo-masks (255 = undecided).

For the classes in an image's tags only, CAMs (normalised per class to [0, 1]) are turned into
seeds: a pixel whose strongest tag CAM reaches ``fg_threshold`` takes that tag; a pixel where
every tag CAM is below ``bg_threshold`` is background (``background_index``), or undecided when
the dataset has no background class; everything between stays 255. Optionally the seeds are
refined by the mean-field CRF (:func:`wsseg.refine.crf.refine_mask`), choosing only among the
image's tags and background.

Empty tags: with a background class (datasets where background is always present, e.g. VOC)
the whole image is background; without one it is all 255. Either way a warning names the image.
"""
from __future__ import annotations

import warnings

import numpy as np
import torch

from wsseg.models.cam_classifier import normalise_cams
from wsseg.pseudo.base import PseudoLabeller
from wsseg.refine.crf import check_crf_kwargs, refine_mask_within
from wsseg.registry import MODELS, PSEUDO_LABELLERS
from wsseg.utils.checkpoint import load_state_dict_file

IGNORE = 255


def cams_to_seeds(cams: np.ndarray, tags: np.ndarray, fg_threshold: float = 0.3,
                  bg_threshold: float = 0.05, background_index: int | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Threshold normalised CAMs into a seed mask.

    Args:
        cams: (T, H, W) CAMs of the tagged classes, each in [0, 1].
        tags: (T,) class index of each map (must not contain ``background_index``).
        fg_threshold: a pixel whose largest map is >= this takes that map's class.
        bg_threshold: a pixel whose largest map is < this is background.
        background_index: class of background, or None (then such pixels are 255).
    Returns:
        mask (H, W) uint8 with 255 = undecided, confidence (H, W) float32 in [0, 1]
        (top CAM value on foreground seeds, 1 - top on background, 0 elsewhere).
    """
    if not 0 <= bg_threshold <= fg_threshold <= 1:
        raise ValueError(f'cams_to_seeds: need 0 <= bg_threshold <= fg_threshold <= 1, got '
                         f'{bg_threshold} and {fg_threshold}')
    cams, tags = np.asarray(cams, np.float32), np.asarray(tags, np.int64).reshape(-1)
    if cams.ndim != 3 or cams.shape[0] != tags.size or tags.size == 0:
        raise ValueError(f'cams_to_seeds: need (T, H, W) maps for T >= 1 tags, got {cams.shape} '
                         f'for tags {tags.tolist()}')
    top, arg = cams.max(0), cams.argmax(0)
    mask = np.full(top.shape, IGNORE, np.uint8)
    conf = np.zeros(top.shape, np.float32)
    fg = top >= fg_threshold
    mask[fg] = tags[arg[fg]]
    conf[fg] = top[fg]
    if background_index is not None:
        bg = top < bg_threshold
        mask[bg] = background_index
        conf[bg] = 1.0 - top[bg]
    return mask, conf


@PSEUDO_LABELLERS.register_module()
class CamPseudoLabeller(PseudoLabeller):
    """Seeds from a trained :class:`~wsseg.models.cam_classifier.CamClassifier`.

    Args:
        model: the classifier's config (``MODELS``) or module; ``checkpoint`` its weights
            (``tools/pseudo_label.py --checkpoint`` sets it).
        fg_threshold / bg_threshold / background_index: see :func:`cams_to_seeds`.
        flip: also run the horizontally flipped image and average the CAMs.
        crf: ``None``, or :func:`wsseg.refine.crf.refine_mask` options (``confidence``,
            ``threshold``, ``keep_labelled``, ``n_iters``, sigmas, ...) to refine the seeds.
        device: default CUDA when available.
    """

    def __init__(self, model: dict | torch.nn.Module, checkpoint: str | None = None,
                 fg_threshold: float = 0.3, bg_threshold: float = 0.05,
                 background_index: int | None = None, flip: bool = True,
                 crf: dict | None = None, device: str | None = None):
        self.model = MODELS.build(model) if isinstance(model, dict) else model
        if checkpoint:
            self.model.load_state_dict(load_state_dict_file(checkpoint, 'wsseg'))
        self.device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
        self.model.to(self.device).eval()
        cams_to_seeds(np.zeros((1, 1, 1)), np.zeros(1), fg_threshold, bg_threshold)  # checks thresholds
        self.fg_threshold, self.bg_threshold = fg_threshold, bg_threshold
        self.background_index, self.flip = background_index, flip
        self.crf = None if crf is None else check_crf_kwargs(
            dict(crf), 'CamPseudoLabeller crf', extra=('confidence', 'threshold', 'keep_labelled', 'device'))

    @torch.no_grad()
    def class_cams(self, results: dict) -> np.ndarray:
        """(K, H, W) normalised CAMs of one pipeline output, at its image size."""
        data = self.model.data_preprocessor(dict(inputs=[results['inputs']],
                                                 data_samples=[results['data_samples']]))
        x = data['inputs']
        cams = self.model.cams(x)
        if self.flip:
            cams = cams + self.model.cams(x.flip(-1)).flip(-1)
        cams = torch.nn.functional.interpolate(cams, x.shape[-2:], mode='bilinear', align_corners=False)
        h, w = results['data_samples'].img_shape
        return normalise_cams(cams[0, :, :h, :w]).cpu().numpy()

    def label(self, results: dict) -> tuple[np.ndarray, np.ndarray]:
        sample = results['data_samples']
        h, w = sample.img_shape
        if sample.weak is None:
            raise ValueError(f'CamPseudoLabeller: {sample.img_path} has no weak labels; add '
                             "LoadWeakLabels(sources=[dict(type='Tags', ...)]) to pseudo_dataset's pipeline")
        tags = np.asarray(sample.weak.tags, np.int64)
        if self.background_index is not None:
            tags = tags[tags != self.background_index]
        if tags.size == 0:
            fill = IGNORE if self.background_index is None else self.background_index
            warnings.warn(f'CamPseudoLabeller: {sample.img_path} has no tags: '
                          + ('all background' if fill != IGNORE else 'all undecided (255), no background class'))
            return np.full((h, w), fill, np.uint8), np.zeros((h, w), np.float32)
        cams = self.class_cams(results)
        bad = tags[tags >= cams.shape[0]]
        if bad.size:
            raise ValueError(f'CamPseudoLabeller: {sample.img_path}: tags {bad.tolist()} >= the '
                             f"classifier's {cams.shape[0]} classes")
        mask, conf = cams_to_seeds(cams[tags], tags, self.fg_threshold, self.bg_threshold,
                                   self.background_index)
        if self.crf is not None:
            image = np.ascontiguousarray(results['inputs'].permute(1, 2, 0).cpu().numpy().astype(np.uint8))
            labels = tags if self.background_index is None else np.append(tags, self.background_index)
            refined = refine_mask_within(image, mask, labels, **self.crf)
            conf = np.where(refined == mask, conf, 0.0).astype(np.float32)
            mask = refined
        return mask, conf
