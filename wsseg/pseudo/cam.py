"""Seeds from class activation maps: image tags -> pseudo-masks (255 = undecided).

For the classes in an image's tags only, CAMs (normalised per class to [0, 1]) are turned into
seeds: a pixel whose strongest tag CAM reaches ``fg_threshold`` takes that tag; a pixel where
every tag CAM is below ``bg_threshold`` is background (``background_index``), or undecided when
the dataset has no background class; everything between stays 255. Optionally the seeds are
refined by the mean-field CRF (:func:`wsseg.refine.crf.refine_mask`), choosing only among the
image's tags and background, or pooled over superpixels before thresholding
(:func:`wsseg.refine.superpixels.refine_superpixels`). CAMs are summed over input scales and
flips (:func:`multiscale_cams`).

Empty tags: with a background class (datasets where background is always present, e.g. VOC)
the whole image is background; without one it is all 255. Either way a warning names the image.
"""
from __future__ import annotations

import copy
import warnings

from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from wsseg.models.cam_classifier import normalise_cams
from wsseg.pseudo.base import PseudoLabeller
from wsseg.refine.crf import check_crf_kwargs, refine_mask_within
from wsseg.refine.superpixels import refine_superpixels
from wsseg.registry import MODELS, PSEUDO_LABELLERS
from wsseg.structures import IGNORE
from wsseg.utils.checkpoint import load_state_dict_file


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


@torch.no_grad()
def multiscale_cams(model: torch.nn.Module, x: torch.Tensor, size: tuple[int, int],
                    scales: Sequence[float] = (1.0,), flip: bool = True) -> torch.Tensor:
    """CAMs of a batch averaged over input ``scales`` (and horizontal flips), at the input's
    resolution, cropped to ``size`` = (H, W) (the batch padding left out), each map ReLU'd and
    divided by its maximum: (B, K, H, W) in [0, 1]. ``model.cams`` maps images to raw CAMs."""
    if not scales or min(scales) <= 0:
        raise ValueError(f'multiscale_cams: scales must be positive, got {scales}')
    total = None
    for s in scales:
        xs = x if s == 1 else F.interpolate(x, scale_factor=s, mode='bilinear', align_corners=False)
        cams = model.cams(xs).clamp_min(0)
        if flip:
            cams = cams + model.cams(xs.flip(-1)).flip(-1).clamp_min(0)
        cams = F.interpolate(cams, x.shape[-2:], mode='bilinear', align_corners=False)
        total = cams if total is None else total + cams
    return normalise_cams(total[..., :size[0], :size[1]])


@PSEUDO_LABELLERS.register_module()
class CamPseudoLabeller(PseudoLabeller):
    """Seeds from a trained :class:`~wsseg.models.cam_classifier.CamClassifier`.

    Args:
        model: the classifier's config (``MODELS``) or module; ``checkpoint`` its weights
            (``tools/pseudo_label.py --checkpoint`` sets it).
        fg_threshold / bg_threshold / background_index: see :func:`cams_to_seeds`.
        flip: also run the horizontally flipped image and average the CAMs.
        scales: input scales whose CAMs are summed (e.g. ``(0.5, 1.0, 1.5)``), see
            :func:`multiscale_cams`.
        superpixels: ``None``, or :func:`wsseg.refine.superpixels.refine_superpixels` options
            (``method``, ``params``, ``threshold``; default threshold ``fg_threshold``): the tag
            CAMs are pooled over superpixels before thresholding. Not with ``crf``.
        crf: ``None``, or :func:`wsseg.refine.crf.refine_mask` options (``confidence``,
            ``threshold``, ``keep_labelled``, ``n_iters``, sigmas, ...) to refine the seeds.
        device: default CUDA when available.
        ensemble: checkpoints of more classifiers of the same ``model`` config (e.g. other
            training seeds). Each one's CAMs are taken like this one's and the (normalised) maps
            averaged, then normalised again: seeds of a classifier trained from scratch err on
            different classes.
    """

    def __init__(self, model: dict | torch.nn.Module, checkpoint: str | None = None,
                 fg_threshold: float = 0.3, bg_threshold: float = 0.05,
                 background_index: int | None = None, flip: bool = True,
                 crf: dict | None = None, device: str | None = None,
                 scales: Sequence[float] = (1.0,), superpixels: dict | None = None,
                 ensemble: Sequence[str] = ()):
        self.model = MODELS.build(model) if isinstance(model, dict) else model
        if ensemble and not checkpoint:
            raise ValueError('CamPseudoLabeller: an ensemble needs the first classifier\'s checkpoint too')
        # the other members are built before any weights load, so each starts from the same module
        others = [MODELS.build(model) if isinstance(model, dict) else copy.deepcopy(model) for _ in ensemble]
        if checkpoint:
            self.model.load_state_dict(load_state_dict_file(checkpoint, 'wsseg'))
        for member, path in zip(others, ensemble):
            member.load_state_dict(load_state_dict_file(path, 'wsseg'))
        self.device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
        self.members = [m.to(self.device).eval() for m in [self.model, *others]]
        cams_to_seeds(np.zeros((1, 1, 1)), np.zeros(1), fg_threshold, bg_threshold)  # checks thresholds
        self.fg_threshold, self.bg_threshold = fg_threshold, bg_threshold
        self.background_index, self.flip = background_index, flip
        if not scales or min(scales) <= 0:
            raise ValueError(f'CamPseudoLabeller: scales must be positive, got {scales}')
        self.scales = tuple(float(x) for x in scales)
        if superpixels is not None and (crf is not None or background_index is not None):
            raise ValueError('CamPseudoLabeller: superpixels pools the tag CAMs of a dataset without a '
                             'background class; it cannot be combined with crf or background_index')
        self.superpixels = None if superpixels is None else dict(superpixels)
        self.crf = None if crf is None else check_crf_kwargs(
            dict(crf), 'CamPseudoLabeller crf', extra=('confidence', 'threshold', 'keep_labelled', 'device'))

    def preprocess(self, results: dict) -> torch.Tensor:
        """The classifier's (1, 3, H', W') input batch for one pipeline output (normalised, padded)."""
        return self.model.data_preprocessor(dict(inputs=[results['inputs']],
                                                 data_samples=[results['data_samples']]))['inputs']

    @torch.no_grad()
    def class_cams(self, results: dict, inputs: torch.Tensor | None = None) -> np.ndarray:
        """(K, H, W) normalised CAMs of one pipeline output, at its image size. ``inputs``: its
        :meth:`preprocess` batch, when the caller has it already."""
        x = self.preprocess(results) if inputs is None else inputs
        h, w = results['data_samples'].img_shape
        cams = [multiscale_cams(m, x, (h, w), self.scales, self.flip)[0] for m in self.members]
        cams = cams[0] if len(cams) == 1 else normalise_cams(torch.stack(cams).mean(0))
        return cams.cpu().numpy()

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
        if self.superpixels is not None:
            opts = dict(self.superpixels)
            opts.setdefault('threshold', self.fg_threshold)
            image = np.ascontiguousarray(results['inputs'].permute(1, 2, 0).cpu().numpy().astype(np.uint8))
            mask, top = refine_superpixels(image[:h, :w], cams[tags], tags, **opts)
            return mask, np.where(mask != IGNORE, top, 0).astype(np.float32)
        mask, conf = cams_to_seeds(cams[tags], tags, self.fg_threshold, self.bg_threshold,
                                   self.background_index)
        if self.crf is not None:
            image = np.ascontiguousarray(results['inputs'].permute(1, 2, 0).cpu().numpy().astype(np.uint8))
            labels = tags if self.background_index is None else np.append(tags, self.background_index)
            refined = refine_mask_within(image, mask, labels, **self.crf)
            conf = np.where(refined == mask, conf, 0.0).astype(np.float32)
            mask = refined
        return mask, conf
