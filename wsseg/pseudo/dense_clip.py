"""Text prompts -> dense pixel pseudo-masks with CLIP (MaskCLIP style), no training.

Each class is described by one or more names; every name fills every template and the class
text embedding is their normalised mean (:meth:`wsseg.models.dense_clip.DenseClip.text_embeddings`).
The image, resized so its short side is ``short_side`` (the positional embedding interpolated
to the patch grid), gives dense value-path tokens (:class:`~wsseg.models.dense_clip.DenseClip`);
``logit_scale * cos`` with the class embeddings, softmaxed over the candidate classes, is a patch
probability map. It is upsampled to pixels and refined by the mean-field CRF or superpixel voting
(:mod:`wsseg.patch.refine`). When the sample carries weak tags, the candidates are the image's
tags (plus ``background_index``); otherwise every class.

With random weights (``allow_random_weights=True``, tests only) everything runs, and the masks
are noise: such a run measures plumbing, never the method.
"""
from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from wsseg.models.dense_clip import TEMPLATES, DenseClip, load_open_clip
from wsseg.pseudo.base import PseudoLabeller
from wsseg.registry import PSEUDO_LABELLERS

REFINE = ('none', 'crf', 'superpixels')


def input_size(hw: Sequence[int], short_side: int, patch: Sequence[int]) -> tuple[int, int]:
    """(H', W'): short side ``short_side``, aspect kept, each a multiple of the patch size (>= 1 patch)."""
    h, w = hw
    s = short_side / min(h, w)
    return (max(patch[0], round(h * s / patch[0]) * patch[0]), max(patch[1], round(w * s / patch[1]) * patch[1]))


def check_refine_cfg(refine: str, refine_cfg: dict | None) -> dict:
    """``refine_cfg`` as a dict, or a ValueError naming the options ``refine`` does not take."""
    import inspect

    from wsseg.patch.refine import refine_crf, refine_superpixels
    cfg = dict(refine_cfg or {})
    fn = dict(crf=refine_crf, superpixels=refine_superpixels).get(refine)
    known = set() if fn is None else set(inspect.signature(fn).parameters) - {'image', 'probs'}
    unknown = set(cfg) - known
    if unknown:
        raise ValueError(f'DenseClipLabeller: refine={refine!r} takes no options {sorted(unknown)}; '
                         f'it takes {sorted(known)}')
    return cfg


@PSEUDO_LABELLERS.register_module()
class DenseClipLabeller(PseudoLabeller):
    """Open-vocabulary pseudo-masks from class prompts and an open_clip ViT.

    Args:
        class_prompts: per class index, a name or a list of names (synonyms); default: the
            dataset's class names (taken in :meth:`run`).
        model_name: an open_clip ViT (``'ViT-B-16-quickgelu'`` for OpenAI's ViT-B/16 weights, as
            MaskCLIP; the test-only ``'wsseg-tiny-clip'``).
        checkpoint: local file of the weights (``tools/pseudo_label.py --checkpoint`` sets it).
        templates: prompt templates with ``{}`` for the name; the class embedding averages them.
        short_side: the short side the image is resized to (None: the model's own square size).
        background_index: a class that is always a candidate (e.g. VOC's background), or None.
        use_tags: restrict to the image's weak tags when the sample has them.
        refine: ``'none'`` (bilinear upsampling, argmax), ``'crf'`` or ``'superpixels'``.
        refine_cfg: keyword arguments of :func:`wsseg.patch.refine.refine_crf` /
            :func:`~wsseg.patch.refine.refine_superpixels`.
        min_confidence: pixels whose upsampled probability of their class is below it become 255.
        logit_scale: temperature of the softmax (default: the model's learned scale, ~100).
        allow_random_weights: without a checkpoint, refuse (default) or use random weights (tests).
    """

    def __init__(self, class_prompts: Sequence[str | Sequence[str]] | None = None,
                 model_name: str = 'ViT-B-16-quickgelu', checkpoint: str | None = None,
                 templates: Sequence[str] = TEMPLATES, short_side: int | None = 448,
                 background_index: int | None = None, use_tags: bool = True, refine: str = 'crf',
                 refine_cfg: dict | None = None, min_confidence: float = 0.0,
                 logit_scale: float | None = None, allow_random_weights: bool = False,
                 device: str | None = None):
        import open_clip
        if refine not in REFINE:
            raise ValueError(f'DenseClipLabeller: refine must be one of {REFINE}, got {refine!r}')
        if short_side is not None and short_side < 1:
            raise ValueError(f'DenseClipLabeller: short_side must be >= 1 or None, got {short_side!r}')
        self.refine, self.refine_cfg = refine, check_refine_cfg(refine, refine_cfg)
        self.templates = tuple(templates)
        self.short_side, self.background_index, self.use_tags = short_side, background_index, use_tags
        self.min_confidence, self.logit_scale = float(min_confidence), logit_scale
        if class_prompts is not None:
            self._check_background(len(class_prompts))
        self.device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
        clip = load_open_clip(model_name, checkpoint, allow_random_weights, self.device, 'DenseClipLabeller')
        self.model = DenseClip(clip, open_clip.get_tokenizer(model_name)).to(self.device).eval()
        self.model_name, self.checkpoint = model_name, checkpoint
        self.class_prompts = None
        self._text = None
        if class_prompts is not None:
            self.set_classes(class_prompts)

    def _check_background(self, num_classes: int) -> None:
        if self.background_index is not None and not 0 <= self.background_index < num_classes:
            raise ValueError(f'DenseClipLabeller: background_index {self.background_index} is not one of the '
                             f'{num_classes} classes')

    def set_classes(self, class_prompts: Sequence[str | Sequence[str]]) -> None:
        """Set the class prompts and embed them once."""
        self._check_background(len(class_prompts))
        self.class_prompts = [p if isinstance(p, str) else tuple(p) for p in class_prompts]
        self._text = self.model.text_embeddings(self.class_prompts, self.templates)

    def run(self, dataset, out_dir, **kwargs) -> dict:
        if self.class_prompts is None:
            classes = (getattr(dataset, 'metainfo', None) or {}).get('classes')
            if not classes:
                raise ValueError('DenseClipLabeller: no class_prompts given and the dataset has no class names')
            self.set_classes(list(classes))
        return super().run(dataset, out_dir, **kwargs)

    def candidates(self, results: dict) -> np.ndarray:
        """The class indices this image may take: its tags (+ background) when it has tags."""
        k = len(self.class_prompts)
        sample = results['data_samples']
        weak = getattr(sample, 'weak', None)
        if not self.use_tags or weak is None:
            return np.arange(k)
        tags = np.unique(np.asarray(weak.tags, np.int64))
        bad = tags[(tags < 0) | (tags >= k)]
        if bad.size:
            raise ValueError(f'DenseClipLabeller: {sample.img_path}: tags {bad.tolist()} are not among the '
                             f'{k} class prompts')
        if self.background_index is not None:
            tags = np.union1d(tags, [self.background_index])
        if tags.size == 0:
            warnings.warn(f'DenseClipLabeller: {sample.img_path} has no tags; every class is a candidate')
            return np.arange(k)
        return tags

    def prepare(self, image: torch.Tensor) -> torch.Tensor:
        """(3, H, W) uint8 -> (1, 3, H', W') CLIP input: resized (bicubic) and normalised."""
        x = image[None].to(self.device).float() / 255.0
        size = (tuple(self.model.visual.image_size) if self.short_side is None
                else input_size(x.shape[-2:], self.short_side, self.model.patch_size))
        if tuple(x.shape[-2:]) != size:
            x = F.interpolate(x, size, mode='bicubic', align_corners=False, antialias=True).clamp(0, 1)
        return self.model.normalise(x)

    @torch.no_grad()
    def patch_probs(self, image: torch.Tensor, classes: np.ndarray) -> np.ndarray:
        """(len(classes), h, w) softmax over ``classes`` of each patch token, for a (3, H, W) uint8 image."""
        _, dense = self.model.scores(self.prepare(image), self._text[torch.as_tensor(classes, device=self._text.device)])
        if self.logit_scale is not None:
            dense = dense * (self.logit_scale / self.model.logit_scale)
        return dense[0].softmax(0).cpu().numpy()

    def label(self, results: dict) -> tuple[np.ndarray, np.ndarray]:
        from wsseg.patch.refine import refine_crf, refine_superpixels, upsample_probs
        if self._text is None:
            raise ValueError('DenseClipLabeller: no class prompts; give class_prompts or call run(dataset)')
        classes = self.candidates(results)
        image = np.ascontiguousarray(results['inputs'].permute(1, 2, 0).cpu().numpy().astype(np.uint8))
        hw = image.shape[:2]
        if classes.size == 1:
            return np.full(hw, classes[0], np.uint8), np.ones(hw, np.float32)
        probs = self.patch_probs(results['inputs'], classes)
        up = upsample_probs(probs, hw)
        if self.refine == 'crf':
            local = refine_crf(image, probs, **self.refine_cfg)
        elif self.refine == 'superpixels':
            local = refine_superpixels(image, probs, **self.refine_cfg)
        else:
            local = up.argmax(0)
        local = local.astype(np.int64)
        conf = np.take_along_axis(up, local[None], 0)[0].astype(np.float32)
        mask = classes[local].astype(np.uint8)
        mask[conf < self.min_confidence] = 255
        return mask, conf
