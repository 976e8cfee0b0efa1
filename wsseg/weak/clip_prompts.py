"""``ClipPrompts``: SeaCLIP per-patch pseudo-labels from zero-shot CLIP prompts.

Each frame is cut into a grid of patches (array_split); every patch is scored against all
prompts as open_clip's own zero-shot recipe scores an image (the model's validation preprocess,
``encode_image`` / ``encode_text``, L2 normalisation, logit scale;
``tests/fidelity/test_clip_reference.py`` checks it). A patch whose best prompt is a
foreground prompt takes the image's label, otherwise background; a background image is all
background. The result is ``results['patch_pseudo']``
(rows, cols) int64, which ``PackPatchInputs`` packs as ``weak_label``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from wsseg.registry import WEAK_LABELS
from wsseg.utils.checkpoint import CheckpointError, require_file
from wsseg.utils.io import DataError

from .base import WeakLabelSource, get_weak

# The paper's prompts (SeaCLIP).
BACKGROUND_PROMPTS = ('a photo of sand', 'a photo of water', 'a photo of sand or water',
                      'a blurry photo of water', 'a blurry photo of sand')
SEAGRASS_PROMPTS = ('a blurry photo of seagrass', 'a photo containing some seagrass',
                    'a photo of underwater plants', 'a photo of underwater grass',
                    'a photo of green, grass-like leaves underwater', 'a photo of seagrass')
TINY_CONFIG_DIR = Path(__file__).resolve().parents[1] / 'patch' / 'model_configs'


@WEAK_LABELS.register_module()
class ClipPrompts(WeakLabelSource):
    """Zero-shot CLIP patch labels.

    Args:
        model_name: any open_clip model name (``'ViT-B-32'`` as the paper; the test-only
            ``'wsseg-tiny-clip'`` config ships in ``wsseg/patch/model_configs``).
        checkpoint: local path of the CLIP weights (open_clip loads it as ``pretrained``).
        background_prompts / foreground_prompts: prompt lists (the paper's by default).
        grid: (rows, cols) of patches per frame (5x8 in the paper).
        background_index: the background class (default: the last class of the sample).
        allow_random_weights: without a checkpoint, refuse (default) or use random weights
            (tests only: the labels are then chance).
        cache: keep each image's labels in memory (CLIP runs once per image, not per epoch).
    """

    kind = 'clip_prompts'

    def __init__(self, model_name: str = 'ViT-B-32', checkpoint: str | None = None,
                 background_prompts: Sequence[str] = BACKGROUND_PROMPTS,
                 foreground_prompts: Sequence[str] = SEAGRASS_PROMPTS, grid: Sequence[int] = (5, 8),
                 background_index: int | None = None, allow_random_weights: bool = False,
                 batch_size: int = 64, device: str = 'cpu', cache: bool = True):
        super().__init__(simulate=False)
        from wsseg.patch.grid import check_grid
        if not background_prompts or not foreground_prompts:
            raise ValueError('ClipPrompts: give at least one background and one foreground prompt')
        if checkpoint is None and not allow_random_weights:
            raise CheckpointError(f'ClipPrompts({model_name!r}): no CLIP checkpoint given; pass checkpoint=<local '
                                  'path to the open_clip weights>. Random weights give chance-level labels: '
                                  'allow them only for tests with allow_random_weights=True')
        if checkpoint is not None:
            require_file(checkpoint, 'CLIP')
        self.model_name, self.checkpoint = model_name, checkpoint
        self.prompts = [*background_prompts, *foreground_prompts]
        self.n_bg = len(background_prompts)
        self.grid = check_grid(grid)
        self.background_index = background_index
        self.batch_size, self.device = int(batch_size), device
        self._cache: dict[str, np.ndarray] | None = {} if cache else None
        self._model = None

    def __repr__(self) -> str:
        return (f'ClipPrompts(model_name={self.model_name!r}, checkpoint={self.checkpoint!r}, '
                f'{len(self.prompts)} prompts, grid={self.grid})')

    def __getstate__(self):   # dataloader workers rebuild the model lazily
        d = dict(self.__dict__)
        d['_model'] = None
        return d

    # ------------------------------------------------------------------ CLIP
    def _load(self):
        if self._model is None:
            import open_clip
            if self.model_name not in open_clip.list_models():
                open_clip.add_model_config(TINY_CONFIG_DIR)
            model, _, preprocess = open_clip.create_model_and_transforms(
                self.model_name, pretrained=self.checkpoint, device=self.device)
            model.eval()
            tokenizer = open_clip.get_tokenizer(self.model_name)
            with torch.no_grad():
                text = model.encode_text(tokenizer(self.prompts).to(self.device))
            self._model = (model, preprocess, torch.nn.functional.normalize(text.float(), dim=-1))
        return self._model

    @torch.no_grad()
    def score_patches(self, img: np.ndarray) -> torch.Tensor:
        """(rows * cols, n_prompts) cosine similarities of each patch (row-major) to each prompt."""
        from PIL import Image

        from wsseg.patch.grid import split_patches
        model, preprocess, text = self._load()
        patches = [preprocess(Image.fromarray(np.ascontiguousarray(p))) for p in split_patches(img, self.grid)]
        feats = []
        for i in range(0, len(patches), self.batch_size):
            x = torch.stack(patches[i:i + self.batch_size]).to(self.device)
            feats.append(torch.nn.functional.normalize(model.encode_image(x).float(), dim=-1))
        return torch.cat(feats) @ text.t()

    @torch.no_grad()
    def patch_logits(self, img: np.ndarray) -> torch.Tensor:
        """(rows * cols, n_prompts) zero-shot logits: the cosines times the model's learned
        logit scale, as open_clip's ``model(image, text)`` gives them (the scale does not change
        which prompt wins)."""
        model = self._load()[0]
        return model.logit_scale.exp().float() * self.score_patches(img)

    def label_patches(self, img: np.ndarray, image_label: int, background_index: int) -> np.ndarray:
        """(rows, cols) int64: the image label where a foreground prompt wins, else background."""
        rows, cols = self.grid
        if image_label == background_index:
            return np.full((rows, cols), background_index, np.int64)
        best = self.score_patches(img).argmax(1).cpu().numpy().reshape(rows, cols)
        return np.where(best >= self.n_bg, image_label, background_index).astype(np.int64)

    # ------------------------------------------------------------------ plugin API
    def __call__(self, results: dict) -> None:
        where = results.get('img_path', '<sample>')
        label = results.get('image_label')
        if label is None:
            raise DataError(f'{where}: ClipPrompts needs the image label (image_label); use a dataset '
                            'with image-level labels such as DeepSeagrassFrames')
        classes = results.get('classes') or ()
        bg = self.background_index if self.background_index is not None else len(classes) - 1
        if bg < 0:
            raise DataError(f'{where}: ClipPrompts cannot tell the background class: the sample has no '
                            'classes; set background_index')
        key = str(results.get('img_id') or where)
        if self._cache is not None and key in self._cache:
            labels = self._cache[key]
        else:
            labels = self.label_patches(np.asarray(results['img']), int(label), bg)
            if self._cache is not None:
                self._cache[key] = labels
        results['patch_pseudo'] = labels.copy()
        weak = get_weak(results)
        weak.tags = np.unique(np.concatenate([weak.tags, [int(label)]]).astype(np.int64))
