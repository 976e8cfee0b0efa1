"""The log-space product t-norm against its probability-space definitions."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from wsseg.logic.tnorm import (EPS, LOG_FALSE, exists, forall, land, liff, limplies, lnot,
                               log1mexp, lor)

# Probabilities in [1e-6, 1 - 1e-6]: no result of a negation falls below the documented floor
# exp(LOG_FALSE) ~= EPS there, so the clamp at -EPS changes nothing.
probs = st.floats(min_value=1e-6, max_value=1 - 1e-6, allow_nan=False)
prob_vectors = arrays(np.float64, st.integers(1, 12), elements=probs)
# Conjunction and forall need no negation: any positive probability.
any_probs = st.floats(min_value=1e-300, max_value=1.0, allow_nan=False)
SETTINGS = settings(max_examples=80, deadline=None)


def lg(p) -> torch.Tensor:
    return torch.log(torch.as_tensor(p, dtype=torch.float64))


def assert_close(x: torch.Tensor, p: float | np.ndarray, atol: float = 1e-9) -> None:
    np.testing.assert_allclose(torch.exp(x).numpy(), p, rtol=1e-7, atol=atol)


@SETTINGS
@given(probs)
def test_not(p):
    assert_close(lnot(lg(p)), 1 - p)
    # log1mexp itself, in log space (relative precision where 1 - p is tiny)
    assert math.isclose(log1mexp(lg(p)).item(), math.log1p(-p), rel_tol=1e-6, abs_tol=1e-12)


@SETTINGS
@given(probs, probs)
def test_binary_connectives(p, q):
    x, y = lg(p), lg(q)
    assert_close(land(x, y), p * q)
    assert_close(lor(x, y), p + q - p * q)
    assert_close(limplies(x, y), 1 - p + p * q)
    assert_close(liff(x, y), (1 - p + p * q) * (1 - q + q * p))


@SETTINGS
@given(any_probs, any_probs, arrays(np.float64, st.integers(1, 12), elements=any_probs))
def test_conjunction_and_forall_have_no_floor(p, q, v):
    assert math.isclose(land(lg(p), lg(q)).item(), math.log(p) + math.log(q), rel_tol=1e-12)
    assert math.isclose(forall(lg(v)).item(), float(np.log(v).sum()), rel_tol=1e-9, abs_tol=1e-12)


def test_negations_are_floored_at_log_false():
    # 1 - prod(1 - p) for p = 1e-12 is 1e-12 mathematically; the clamp floors it at ~EPS
    tiny = lg([1e-12, 1e-20])
    e = exists(tiny, dim=0)
    assert math.isclose(e.item(), LOG_FALSE, rel_tol=1e-6)
    assert math.isclose(lnot(lg(1.0)).item(), LOG_FALSE, rel_tol=1e-6)
    assert math.isclose(limplies(lg(1.0), lg(1e-12)).item(), LOG_FALSE, rel_tol=1e-6)
    # ... but values above the floor are exact
    assert math.isclose(exists(lg([1e-5, 2e-5]), dim=0).item(),
                        math.log(1 - (1 - 1e-5) * (1 - 2e-5)), rel_tol=1e-9)


@SETTINGS
@given(prob_vectors)
def test_quantifiers(p):
    x = lg(p)
    assert_close(forall(x, dim=0), np.prod(p))
    assert_close(exists(x, dim=0), 1 - np.prod(1 - p))
    assert_close(forall(x), np.prod(p))


@SETTINGS
@given(prob_vectors, st.data())
def test_quantifiers_with_mask(p, data):
    mask = data.draw(arrays(np.bool_, p.shape))
    x = lg(p)[None].repeat(2, 1)                        # (2, n), quantify over dim 1
    m = torch.as_tensor(mask)[None].repeat(2, 1)
    assert_close(forall(x, dim=1, mask=m), np.full(2, np.prod(p[mask])))   # empty product = 1
    if mask.any():
        assert_close(exists(x, dim=1, mask=m), np.full(2, 1 - np.prod(1 - p[mask])))
    else:
        assert torch.allclose(exists(x, dim=1, mask=m), torch.full((2,), LOG_FALSE, dtype=torch.float64))


def test_empty_sets_by_hand():
    x = torch.zeros(3, 0)
    assert torch.equal(forall(x, dim=1), torch.zeros(3))                       # true
    e = exists(x, dim=1)
    assert torch.isfinite(e).all() and (e < -16).all()                         # false, but finite
    assert math.isclose(LOG_FALSE, math.log(EPS), abs_tol=1e-6)


def test_keepdim_and_broadcast():
    x = lg([[0.5, 0.5], [0.25, 1.0]])
    assert forall(x, dim=1, keepdim=True).shape == (2, 1)
    assert_close(exists(x, dim=0), [1 - 0.5 * 0.75, 1 - 0.5 * 0.0], atol=1e-6)       # p = 1: exists ~ 1
    assert_close(land(x, lg(0.5)), [[0.25, 0.25], [0.125, 0.5]])


@pytest.mark.parametrize('dtype', [torch.float32, torch.float64, torch.bfloat16])
def test_finite_values_and_gradients_at_extremes(dtype):
    vals = [0.0, -0.0, 1e-9, -1e-30, -1e-12, -1e-7, -0.69, -0.7, math.log(1e-30), -1e4]
    x = torch.tensor(vals, dtype=dtype, requires_grad=True)
    y = x.flip(0).detach().requires_grad_(True)
    outs = [lnot(x), land(x, y), lor(x, y), limplies(x, y), liff(x, y),
            forall(x, 0), exists(x, 0), exists(torch.stack([x, y]), 0)]
    total = sum(o.float().sum() for o in outs)
    total.backward()
    for o in outs:
        assert torch.isfinite(o).all(), o
        assert (o <= 0).all(), o
    assert torch.isfinite(x.grad).all() and torch.isfinite(y.grad).all()


def test_saturated_false_statement_still_has_a_gradient():
    # p = 1 exactly (x = 0): "not x" is clamped, but the straight-through clamp keeps a gradient
    x = torch.zeros(1, requires_grad=True)
    lnot(x).sum().backward()
    assert x.grad.item() < -1e5


def test_negation_is_an_involution_in_the_interior():
    x = lg([1e-6, 0.1, 0.5, 0.9, 0.999])
    assert torch.allclose(lnot(lnot(x)), x, rtol=1e-6)


@pytest.mark.parametrize('op', [lnot, log1mexp])
def test_gradcheck_unary(op):
    x = torch.tensor([-5.0, -1.0, -0.7, -0.69, -0.3, -1e-3], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(op, (x,))


@pytest.mark.parametrize('op', [land, lor, limplies, liff])
def test_gradcheck_binary(op):
    g = torch.Generator().manual_seed(0)
    x = (-torch.rand(6, generator=g, dtype=torch.float64) * 4 - 1e-2).requires_grad_(True)
    y = (-torch.rand(6, generator=g, dtype=torch.float64) * 4 - 1e-2).requires_grad_(True)
    assert torch.autograd.gradcheck(op, (x, y))


def test_gradcheck_quantifiers():
    g = torch.Generator().manual_seed(1)
    x = (-torch.rand(3, 5, generator=g, dtype=torch.float64) * 4 - 1e-2).requires_grad_(True)
    mask = torch.rand(3, 5, generator=g) > 0.3
    assert torch.autograd.gradcheck(lambda t: forall(t, dim=1, mask=mask), (x,))
    assert torch.autograd.gradcheck(lambda t: exists(t, dim=1, mask=mask), (x,))
    assert torch.autograd.gradcheck(lambda t: exists(t, dim=(0, 1)), (x,))


def test_float32_log1mexp_is_precise_near_zero_and_absolutely_below():
    # float64 reference from torch's expm1/log1p; log1mexp avoids them (slow on some CPUs)
    x64 = -torch.logspace(-7, 2.5, 20001, dtype=torch.float64)
    ref = torch.where(x64 > -math.log(2), torch.log(-torch.expm1(x64)), torch.log1p(-torch.exp(x64)))
    x = x64.float().requires_grad_(True)
    y = log1mexp(x)
    y.sum().backward()
    err = (y.double() - ref).abs()
    near = x64 > -math.log(2)                    # 1 - p below 1/2: relative precision matters
    assert (err[near] / ref[near].abs()).max() < 1e-6
    assert err[~near].max() < 2e-7               # |y| < ln 2 here: an ulp of 1
    grad_ref = -torch.exp(x64) / -torch.expm1(x64)
    assert ((x.grad.double() - grad_ref).abs() / grad_ref.abs().clamp_min(1e-6))[near].max() < 1e-5
