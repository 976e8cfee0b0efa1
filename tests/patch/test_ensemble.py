"""Ensemble: standardise each member's logits, average, softmax."""
from __future__ import annotations

import pytest
import torch

from wsseg.patch import PatchClassifier, PatchEnsemble, ensemble_probs, standardise
from wsseg.patch.data import PatchSample
from wsseg.registry import MODELS


def test_standardise_per_frame():
    x = torch.randn(3, 4, 5, 8) * torch.tensor([1.0, 10.0, 0.1]).view(3, 1, 1, 1) + 7
    z = standardise(x)
    assert torch.allclose(z.flatten(1).mean(1), torch.zeros(3), atol=1e-5)
    assert torch.allclose(z.flatten(1).std(1), torch.ones(3), atol=1e-4)


def test_standardisation_removes_member_scale():
    torch.manual_seed(0)
    a, b = torch.randn(2, 4, 5, 8), torch.randn(2, 4, 5, 8)
    ref = ensemble_probs([a, b])
    assert torch.allclose(ensemble_probs([100 * a + 3, b]), ref, atol=1e-5)   # a's scale does not dominate
    plain = (100 * a + 3 + b).softmax(1)                                      # what plain averaging gives
    assert not torch.allclose(plain, ref, atol=1e-2)
    expect = ((standardise(a) + standardise(b)) / 2).softmax(1)
    assert torch.allclose(ref, expect, atol=1e-6)
    assert torch.allclose(ref.sum(1), torch.ones(2, 5, 8))
    with pytest.raises(ValueError, match='disagree'):
        ensemble_probs([a, torch.randn(2, 4, 5, 9)])


def test_registered_ensemble_predicts():
    torch.manual_seed(0)
    members = [PatchClassifier(4, grid=(5, 8), label_source='image').eval() for _ in range(2)]
    ens = MODELS.build(dict(type='PatchEnsemble', members=members)).eval()
    x = torch.randn(2, 3, 64, 96)
    samples = [PatchSample(f'{i}.jpg', str(i), (64, 96)) for i in range(2)]
    out = ens(x, samples, mode='predict')
    with torch.no_grad():
        expect = ensemble_probs([m(x) for m in members])
    assert out[0].pred_label.shape == (5, 8)
    assert torch.allclose(out[1].extra['probs'], expect[1], atol=1e-6)
    with pytest.raises(RuntimeError, match='test-time'):
        ens(x, samples, mode='loss')
    assert isinstance(ens, PatchEnsemble)
