"""The self-training round of the tags path: the stage-2 prediction restricted to the tags."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from wsseg.pseudo.self_training import agreement, segment_logits, tag_restricted_labels


def test_restricted_argmax_picks_the_best_tag_not_the_best_class():
    logits = torch.zeros(4, 2, 3)
    logits[3] = 10.0                     # class 3 wins everywhere, but the image is not tagged 3
    logits[1, 0] = 2.0                   # row 0: class 1 beats class 2
    logits[2, 1] = 2.0                   # row 1: class 2 beats class 1
    labels = tag_restricted_labels(logits, [1, 2])
    assert labels.dtype == np.uint8
    assert (labels == np.array([[1, 1, 1], [2, 2, 2]])).all()


def test_threshold_leaves_the_uncertain_pixels_undecided():
    logits = torch.zeros(3, 1, 2)
    logits[0, 0, 0] = 5.0                # p(tag 0) = 0.99 at pixel 0; a tie (0.5) at pixel 1
    labels = tag_restricted_labels(logits, [0, 2], threshold=0.6)
    assert labels.tolist() == [[0, 255]]


def test_empty_or_foreign_tags_are_errors():
    with pytest.raises(ValueError, match='no tags'):
        tag_restricted_labels(torch.zeros(3, 2, 2), [])
    with pytest.raises(ValueError, match='outside the 3 classes'):
        tag_restricted_labels(torch.zeros(3, 2, 2), [1, 5])


def test_segment_logits_average_the_flip_and_crop_the_padding():
    class Net(torch.nn.Module):        # logits: a left-to-right ramp at half resolution, whatever the input
        def forward(self, x):
            h, w = x.shape[-2] // 2, x.shape[-1] // 2
            return torch.arange(float(w)).expand(x.shape[0], 2, h, w).clone()
    x = torch.rand(1, 3, 4, 8)
    assert segment_logits(Net(), x, (3, 5)).shape == (1, 2, 3, 5)
    plain = segment_logits(Net(), x, (4, 8), flip=False)
    assert plain[0, 0, 0, -1] > plain[0, 0, 0, 0]
    out = segment_logits(Net(), x, (4, 8))      # the ramp and its mirror average to a constant
    assert torch.allclose(out, torch.full_like(out, 1.5))


def test_agreement_keeps_only_the_shared_labels():
    a = np.array([[1, 2, 255], [3, 3, 0]], np.uint8)
    b = np.array([[1, 0, 255], [3, 2, 0]], np.uint8)
    assert agreement(a, b).tolist() == [[1, 255, 255], [3, 255, 0]]
    with pytest.raises(ValueError, match='shapes'):
        agreement(a, b[:, :2])
