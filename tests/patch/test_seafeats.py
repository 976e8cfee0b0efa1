"""The SeaFeats template rule on hand-made features."""
from __future__ import annotations

import math

import torch

from wsseg.patch import compute_templates, seafeats_pseudo_labels


def feats_grid(vectors) -> torch.Tensor:
    """(1, C, 1, P) from a list of P C-vectors."""
    return torch.tensor(vectors, dtype=torch.float32).t()[None, :, None, :]


def test_templates_are_means_of_normalised_features():
    f = torch.tensor([[[[3.0, 0.0]], [[4.0, 2.0]]],          # image 0: patches (3,4), (0,2)
                      [[[1.0, 1.0]], [[0.0, 0.0]]]])         # image 1: patches (1,0), (1,0)
    t, valid = compute_templates(f, torch.tensor([0, 2]), 3)
    assert torch.allclose(t[0], torch.tensor([(0.6 + 0.0) / 2, (0.8 + 1.0) / 2]))
    assert torch.allclose(t[2], torch.tensor([1.0, 0.0]))
    assert valid.tolist() == [True, False, True]
    assert torch.equal(t[1], torch.zeros(2))


def test_background_iff_closer_to_bg_and_above_threshold():
    bg, c = 1, 0
    templates = torch.tensor([[0.0, 1.0], [1.0, 0.0]])          # T_c = e2, T_bg = e1
    valid = torch.tensor([True, True])
    vectors = [[1.0, 0.1],      # cos_bg .995 > cos_c .0995, > .6      -> bg
               [1.0, 0.9],      # cos_bg .743 > cos_c .669, > .6       -> bg
               [1.0, 1.0],      # cos_bg = cos_c = .707: not strictly  -> c
               [1.0, 1.5],      # cos_bg .555 < .6                     -> c
               [0.55, 0.45]]    # cos_bg .774 > .633 and > .6          -> bg
    got = seafeats_pseudo_labels(feats_grid(vectors), torch.tensor([c]), templates, valid, bg, 0.6)
    assert got.tolist() == [[[bg, bg, c, c, bg]]]
    # a lower threshold turns [1, 1.5]? no: cos_c is larger, so it stays c whatever the threshold
    got = seafeats_pseudo_labels(feats_grid(vectors), torch.tensor([c]), templates, valid, bg, 0.0)
    assert got.tolist() == [[[bg, bg, c, c, bg]]]
    # a threshold above .75 keeps [1, .9] and [.55, .45] as c
    assert math.isclose(1 / math.hypot(1, 0.9), 0.743, abs_tol=1e-3)
    got = seafeats_pseudo_labels(feats_grid(vectors), torch.tensor([c]), templates, valid, bg, 0.78)
    assert got.tolist() == [[[bg, c, c, c, c]]]


def test_background_images_are_all_background_and_missing_bg_template():
    templates = torch.tensor([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
    f = feats_grid([[0.0, 1.0], [1.0, 0.0]])
    both = torch.cat([f, f])
    got = seafeats_pseudo_labels(both, torch.tensor([2, 0]), templates, torch.tensor([True, True, True]), 2, 0.6)
    assert got[0].unique().tolist() == [2]                      # background image
    # classes (0 = species, 1 = bg) with no bg template: every patch keeps the image label
    got = seafeats_pseudo_labels(f, torch.tensor([0]), templates[:2], torch.tensor([True, False]), 1, 0.6)
    assert got.tolist() == [[[0, 0]]]
