"""Multi-label image classifier whose class activation maps (CAMs) seed segmentation from tags.

A torchvision ResNet trunk (random init unless ``pretrained`` names a local state dict), global
average pooling and a bias-free 1x1 conv classifier. Because pooling and the 1x1 conv commute,
the CAM of class k is that conv applied to the feature map, and the image logit is its mean
(Zhou et al., CVPR 2016). Trained with binary cross-entropy on the image tags.
"""
from __future__ import annotations

import warnings
from typing import Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from torch import nn

from wsseg.datasets.transforms import SegSample
from wsseg.models.resnet_trunk import RESNETS, load_resnet_trunk, unstride
from wsseg.models.segmentor import valid_mask
from wsseg.registry import MODELS

# torchvision trunk prefix -> index in ``CamClassifier.trunk`` (wsseg/models/resnet_trunk.py)
TRUNK_PREFIXES = {'conv1.': 'trunk.0.', 'bn1.': 'trunk.1.', 'layer1.': 'trunk.4.', 'layer2.': 'trunk.5.',
                  'layer3.': 'trunk.6.', 'layer4.': 'trunk.7.'}


def normalise_cams(cams: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """ReLU, then divide each map (..., H, W) by its own maximum: values in [0, 1]."""
    cams = cams.clamp_min(0)
    return cams / (cams.amax(dim=(-2, -1), keepdim=True) + eps)


def tags_of(sample: SegSample) -> torch.Tensor | None:
    """The sample's tag indices (long), or None when it carries no weak labels."""
    weak = sample.weak
    return None if weak is None else torch.as_tensor(weak.tags, dtype=torch.long)


@MODELS.register_module()
class CamClassifier(BaseModel):
    """ResNet-18/34 + GAP + 1x1 conv, multi-label (BCE on ``sample.weak.tags``).

    Args:
        num_classes: K (the dataset's classes; a tag is an index in 0..K-1).
        depth: 18 or 34.
        output_stride: 16 (layer4 dilated, finer CAMs) or 32.
        pretrained: optional local path of a ResNet trunk (``tools/pretrain_ssl.py`` output or
            a torchvision state dict), loaded by exact key match
            (:func:`wsseg.models.resnet_trunk.load_resnet_trunk`).

    Modes: ``'tensor'`` -> raw CAMs (B, K, h, w); ``'loss'`` -> ``{'loss_bce'}``;
    ``'predict'`` -> samples with ``extra['cams']`` (K, H, W, normalised to [0, 1] per class,
    at the sample's ``img_shape``), ``extra['scores']`` (K sigmoid probabilities) and ``pred``
    (argmax of the CAMs of the image's tags, or of the classes scored > 0.5 without tags), so a
    segmentation metric measures the dense CAM masks.
    """

    def __init__(self, num_classes: int, depth: int = 18, output_stride: int = 16,
                 pretrained: str | None = None, data_preprocessor: dict | None = None,
                 init_cfg: dict | None = None):
        pre = data_preprocessor or dict(type='SegDataPreprocessor', size_divisor=32)
        super().__init__(data_preprocessor=MODELS.build(pre) if isinstance(pre, dict) else pre,
                         init_cfg=init_cfg)
        if depth not in (18, 34):
            raise ValueError(f'CamClassifier: depth must be 18 or 34, got {depth}')
        if output_stride not in (16, 32):
            raise ValueError(f'CamClassifier: output_stride must be 16 or 32, got {output_stride}')
        r = RESNETS[depth](weights=None)
        if output_stride == 16:
            unstride(r.layer4, 2)
        self.num_classes = num_classes
        self.trunk = nn.Sequential(r.conv1, r.bn1, r.relu, r.maxpool, r.layer1, r.layer2, r.layer3, r.layer4)
        self.classifier = nn.Conv2d(512, num_classes, 1, bias=False)
        nn.init.normal_(self.classifier.weight, std=0.01)
        if pretrained:
            load_resnet_trunk(self, pretrained, TRUNK_PREFIXES, f'CamClassifier (ResNet-{depth})')

    def cams(self, inputs: torch.Tensor) -> torch.Tensor:
        """Raw class activation maps (B, K, h, w) at the trunk's stride."""
        return self.classifier(self.trunk(inputs))

    def forward(self, inputs: torch.Tensor, data_samples: list[SegSample] | None = None,
                mode: str = 'tensor'):
        cams = self.cams(inputs)
        if mode == 'tensor':
            return cams
        if mode == 'loss':
            return self.loss(cams, inputs, data_samples)
        if mode == 'predict':
            return self.predict(cams, inputs, data_samples)
        raise ValueError(f'CamClassifier: unknown mode {mode!r}')

    def image_logits(self, cams: torch.Tensor, inputs: torch.Tensor,
                     samples: Sequence[SegSample] | None) -> torch.Tensor:
        """(B, K): mean of each CAM over the image's own pixels (batch padding left out)."""
        if not samples:
            return cams.mean((-2, -1))
        v = valid_mask(samples, inputs)[:, None].float()
        v = F.interpolate(v, cams.shape[-2:], mode='area')
        return (cams * v).sum((-2, -1)) / v.sum((-2, -1)).clamp_min(1e-6)

    def targets(self, samples: Sequence[SegSample], device) -> torch.Tensor:
        """(B, K) multi-hot tags; a DataError-style ValueError names an image without weak labels."""
        out = torch.zeros(len(samples), self.num_classes, device=device)
        for i, s in enumerate(samples):
            tags = tags_of(s)
            if tags is None:
                raise ValueError(f'CamClassifier: {s.img_path} has no weak labels; add '
                                 "LoadWeakLabels(sources=[dict(type='Tags', ...)]) to the pipeline")
            if len(tags) and (tags.min() < 0 or tags.max() >= self.num_classes):
                raise ValueError(f'CamClassifier: {s.img_path}: tags {tags.tolist()} outside 0..{self.num_classes - 1}')
            if not len(tags):
                warnings.warn(f'CamClassifier: {s.img_path} has no tags: trained as "no class present"')
            out[i, tags.to(device)] = 1.0
        return out

    def loss(self, cams: torch.Tensor, inputs: torch.Tensor, samples: list[SegSample]) -> dict:
        logits = self.image_logits(cams, inputs, samples)
        return dict(loss_bce=F.binary_cross_entropy_with_logits(logits, self.targets(samples, logits.device)))

    @torch.no_grad()
    def predict(self, cams: torch.Tensor, inputs: torch.Tensor,
                samples: list[SegSample]) -> list[SegSample]:
        scores = self.image_logits(cams, inputs, samples).sigmoid()
        up = F.interpolate(cams, inputs.shape[-2:], mode='bilinear', align_corners=False)
        for s, cam, sc in zip(samples, up, scores):
            h, w = s.img_shape
            cam = normalise_cams(cam[:, :h, :w])
            tags = tags_of(s)
            classes = tags if tags is not None and len(tags) else torch.nonzero(sc > 0.5).flatten()
            if not len(classes):
                classes = sc.argmax().view(1)
            classes = classes.to(cam.device)
            conf, idx = cam[classes].max(0)
            s.pred = classes[idx]
            s.extra.update(cams=cam, scores=sc, confidence=conf)
        return samples
