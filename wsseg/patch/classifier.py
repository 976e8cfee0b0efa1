"""``PatchClassifier``: ResNet-18 trunk pooled to a patch grid, head 512-512-K per patch.

Training targets (``label_source``):

- ``'seafeats'``: SeaFeats pseudo-labels from class templates (needs ``SeaFeatsTemplateHook``);
- ``'weak'``: per-patch weak labels packed as ``weak_label`` (e.g. SeaCLIP's ``ClipPrompts``);
- ``'truth'``: true patch labels (``gt_label``): the patch-supervised upper bound;
- ``'image'``: every patch takes the frame's image label (naive baseline).

The loss is class-weighted cross-entropy on the **logits** (``F.cross_entropy``). The public
SeaFeats/SeaCLIP code fed softmax outputs to ``nn.CrossEntropyLoss`` (a second softmax);
that is not copied here.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from torch import nn

from wsseg.registry import MODELS

from .backbone import ResNet18Trunk, load_trunk_weights
from .data import PatchSample
from .grid import check_grid, grid_pool
from .seafeats import seafeats_pseudo_labels

LABEL_SOURCES = ('seafeats', 'weak', 'truth', 'image')


@MODELS.register_module()
class PatchClassifier(BaseModel):
    """Patch-grid classifier of whole frames (an mmengine model).

    Args:
        num_classes: K. ``background_index`` defaults to the last class (csiro order).
        grid: (rows, cols) the trunk's feature map is adaptively pooled to (5x8, 5x9, ...).
        label_source: see the module docstring.
        class_weights: CE weights per class (the paper: 1.5 for Ferny, 1.2 for Rounded/Strappy).
        init_checkpoint: a trunk state dict (``tools/pretrain_simclr.py`` output, kind
            ``init_kind``) loaded by :meth:`init_weights`, i.e. when the Runner starts training
            (testing a trained checkpoint never reads it); None = random init.
        threshold: SeaFeats background threshold on cos(f, T_bg).
    """

    def __init__(self, num_classes: int, grid: Sequence[int] = (5, 8), label_source: str = 'seafeats',
                 background_index: int | None = None, class_weights: Sequence[float] | None = None,
                 init_checkpoint: str | None = None, init_kind: str = 'SimCLR', hidden: int = 512,
                 dropout: float = 0.15, threshold: float = 0.6, data_preprocessor: dict | None = None,
                 init_cfg: dict | None = None):
        pre = data_preprocessor or dict(type='PatchDataPreprocessor')
        super().__init__(data_preprocessor=MODELS.build(pre) if isinstance(pre, dict) else pre,
                         init_cfg=init_cfg)
        if label_source not in LABEL_SOURCES:
            raise ValueError(f'PatchClassifier: label_source={label_source!r}, expected one of {LABEL_SOURCES}')
        if num_classes < 2:
            raise ValueError(f'PatchClassifier: num_classes must be >= 2, got {num_classes}')
        self.num_classes = int(num_classes)
        self.grid = check_grid(grid)
        self.label_source = label_source
        self.background_index = num_classes - 1 if background_index is None else int(background_index)
        self.threshold = float(threshold)
        self.trunk = ResNet18Trunk()
        self.init_checkpoint, self.init_kind = init_checkpoint, init_kind
        self.head = nn.Sequential(nn.Linear(ResNet18Trunk.out_channels, hidden), nn.ReLU(inplace=True),
                                  nn.Dropout(dropout), nn.Linear(hidden, num_classes))
        w = torch.ones(num_classes) if class_weights is None else torch.as_tensor(class_weights, dtype=torch.float32)
        if w.shape != (num_classes,):
            raise ValueError(f'PatchClassifier: {len(w)} class_weights for {num_classes} classes')
        self.register_buffer('class_weights', w, persistent=False)
        self.register_buffer('templates', torch.zeros(num_classes, ResNet18Trunk.out_channels))
        self.register_buffer('template_valid', torch.zeros(num_classes, dtype=torch.bool))
        self.last_bg_share: float | None = None

    def init_weights(self) -> None:
        """mmengine's initialisation, then the trunk from ``init_checkpoint`` when given (a
        missing file or mismatched keys raise a ``CheckpointError`` naming the file)."""
        super().init_weights()
        if self.init_checkpoint:
            load_trunk_weights(self.trunk, self.init_checkpoint, self.init_kind)

    # ------------------------------------------------------------------ parts
    def features(self, inputs: torch.Tensor, grid: Sequence[int] | None = None) -> torch.Tensor:
        """(B, 512, rows, cols) patch features: the trunk's map pooled to the grid."""
        return grid_pool(self.trunk(inputs), grid or self.grid)

    def classify(self, feats: torch.Tensor) -> torch.Tensor:
        """(B, C, rows, cols) features -> (B, K, rows, cols) logits."""
        return self.head(feats.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)

    def set_templates(self, templates: torch.Tensor, valid: torch.Tensor) -> None:
        self.templates.copy_(templates.to(self.templates))
        self.template_valid.copy_(valid.to(self.template_valid.device))

    def image_labels(self, samples: Sequence[PatchSample]) -> torch.Tensor:
        missing = [s.img_path for s in samples if s.image_label is None]
        if missing:
            raise ValueError(f'PatchClassifier: no image label for {missing[:3]}')
        return torch.tensor([s.image_label for s in samples], device=self.templates.device)

    @staticmethod
    def _grid_of(samples: Sequence[PatchSample] | None):
        grids = {s.grid for s in samples or [] if s.grid is not None}
        if len(grids) > 1:
            raise ValueError(f'PatchClassifier: samples of one batch ask for different grids {grids}')
        return grids.pop() if grids else None

    # ------------------------------------------------------------------ mmengine API
    def forward(self, inputs: torch.Tensor, data_samples: list[PatchSample] | None = None,
                mode: str = 'tensor'):
        feats = self.features(inputs, self._grid_of(data_samples))
        logits = self.classify(feats)
        if mode == 'tensor':
            return logits
        if mode == 'loss':
            return self.loss(logits, feats, data_samples)
        if mode == 'predict':
            return predict_samples(logits, data_samples)
        raise ValueError(f'PatchClassifier: unknown mode {mode!r}')

    def targets(self, feats: torch.Tensor, samples: Sequence[PatchSample]) -> torch.Tensor:
        """(B, rows, cols) training labels from ``label_source`` (255 = ignored)."""
        shape = feats.shape[-2:]
        if self.label_source == 'seafeats':
            if not bool(self.template_valid.any()):
                raise RuntimeError("PatchClassifier(label_source='seafeats'): no class templates yet; add "
                                   "dict(type='SeaFeatsTemplateHook') to custom_hooks")
            return seafeats_pseudo_labels(feats, self.image_labels(samples), self.templates,
                                          self.template_valid, self.background_index, self.threshold)
        if self.label_source == 'image':
            return self.image_labels(samples).view(-1, 1, 1).expand(-1, *shape).clone()
        key = 'weak_label' if self.label_source == 'weak' else 'gt_label'
        out = []
        for s in samples:
            t = getattr(s, key)
            if t is None:
                raise ValueError(f"PatchClassifier(label_source={self.label_source!r}): {s.img_path} has no "
                                 f"{key}; load it in the pipeline ({'ClipPrompts' if key == 'weak_label' else 'LoadPatchTruth'})")
            if tuple(t.shape) != tuple(shape):
                raise ValueError(f'PatchClassifier: {s.img_path}: {key} grid {tuple(t.shape)} differs from the '
                                 f'model grid {tuple(shape)}')
            out.append(t.to(feats.device))
        return torch.stack(out).long()

    def loss(self, logits: torch.Tensor, feats: torch.Tensor, samples: Sequence[PatchSample]) -> dict:
        target = self.targets(feats, samples)
        ce = F.cross_entropy(logits, target, weight=self.class_weights, ignore_index=255)
        if not torch.isfinite(ce):
            raise FloatingPointError(f'PatchClassifier: loss is {ce.item()} on {[s.img_path for s in samples]}')
        return dict(loss_ce=ce)


@torch.no_grad()
def predict_samples(logits: torch.Tensor, samples: list[PatchSample] | None,
                    probs: torch.Tensor | None = None) -> list[PatchSample]:
    """Write ``pred_label`` (rows, cols) and ``extra['probs']`` (K, rows, cols) into the samples."""
    from_logits = probs is None
    probs = logits.softmax(1) if from_logits else probs
    samples = samples or [PatchSample('', '', tuple(logits.shape[-2:])) for _ in range(len(logits))]
    for s, p, lg in zip(samples, probs, logits):
        s.pred_label = p.argmax(0)
        s.extra['probs'] = p
        if from_logits:
            s.extra['logits'] = lg
    return samples
