"""One round of self-training on the tags path.

The stage-2 network, trained on the CAM pseudo-masks, predicts every train image again; its
prediction restricted to the image's own tags (a softmax over the tag channels only, as the CAM
seeds are an argmax over the tags) is the next round's pseudo-mask. Pixels whose best tag
probability is below ``threshold`` are left undecided (255).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from wsseg.pseudo.tag_seeds import tag_argmax


@torch.no_grad()
def segment_logits(net: torch.nn.Module, x: torch.Tensor, size: tuple[int, int], flip: bool = True) -> torch.Tensor:
    """(1, K, h, w) logits of ``net`` for the preprocessed batch ``x`` (1, 3, H, W), averaged with
    the horizontal flip, resized to ``x``'s size and cropped to the image's ``size`` (h, w)."""
    logits = net(x)
    if flip:
        logits = (logits + net(x.flip(-1)).flip(-1)) / 2
    logits = F.interpolate(logits.float(), x.shape[-2:], mode='bilinear', align_corners=False)
    return logits[..., :size[0], :size[1]]


def tag_restricted_labels(logits: torch.Tensor, tags: Sequence[int], threshold: float = 0.0) -> np.ndarray:
    """(H, W) uint8 labels from (K, H, W) logits: the most probable of ``tags`` under a softmax
    over the tag channels alone; 255 where that probability is below ``threshold``."""
    tags = torch.as_tensor(np.asarray(tags, np.int64))
    if tags.numel() == 0:
        raise ValueError('tag_restricted_labels: the image has no tags')
    if int(tags.max()) >= logits.shape[0] or int(tags.min()) < 0:
        raise ValueError(f'tag_restricted_labels: tags {tags.tolist()} outside the {logits.shape[0]} classes')
    return tag_argmax(logits[tags].float().softmax(0).numpy(), tags.numpy(), threshold)


def agreement(labels: np.ndarray, other: np.ndarray) -> np.ndarray:
    """``labels`` where ``other`` gives the same class, 255 (undecided) elsewhere: the pixels two
    pseudo-labellers (e.g. the refined masks and the stage-2 network trained on them) agree on."""
    if labels.shape != other.shape:
        raise ValueError(f'agreement: masks of shapes {labels.shape} and {other.shape}')
    return np.where(labels == other, labels, 255).astype(np.uint8)
