"""Product t-norm fuzzy logic in log space.

A truth value is a log-probability ``x = log p <= 0``: ``0`` is true, very negative is false.
With the product t-norm the connectives are

=================  ==============================  ===============================
operator           probability space               log space (here)
=================  ==============================  ===============================
``lnot(x)``        ``1 - p``                       ``log1mexp(x)``
``land(x, y)``     ``p * q``                       ``x + y``
``lor(x, y)``      ``p + q - p q``                 ``lnot(lnot x + lnot y)``
``limplies(x, y)`` ``1 - p + p q``                 ``lnot(x + lnot y)``
``forall(x)``      ``prod p``                      ``sum x``
``exists(x)``      ``1 - prod (1 - p)``            ``lnot(sum lnot x)``
=================  ==============================  ===============================

``limplies`` is written as ``not(x and not y)``, which equals ``or(not x, y)`` but avoids a
round trip ``lnot(lnot(x))``. Everything broadcasts like ordinary tensor arithmetic.

Numerics. ``log(1 - exp(x))`` is ``-inf`` at ``x = 0`` (and the input may round to a tiny
positive value after a log-softmax), so :func:`log1mexp` first clamps ``x`` to ``<= -EPS``
with ``EPS = 1e-7``: the most false value a negation can return is
``log(1 - exp(-EPS)) ~= log(EPS) ~= -16.1`` (:data:`LOG_FALSE`). So ``lnot``, ``lor``,
``limplies`` and ``exists`` never return less than ``LOG_FALSE``: a truth value below about
``1e-7`` reached through a negation is floored there, which also bounds the loss of one
violated grounding (``land`` and ``forall`` have no floor). The clamp is
*straight-through*: it changes the value but passes the gradient on unchanged, so a
saturated, confidently wrong prediction (``x == 0``) still gets a finite, non-zero gradient.
Half-precision inputs are computed in float32 and cast back.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

EPS = 1e-7
LOG_FALSE = math.log(-math.expm1(-EPS))   # ~= -16.12: lnot(true), and exists over an empty set
_LN2 = math.log(2.0)


class _Log1mExp(torch.autograd.Function):
    """``log(1 - exp(min(x, -EPS)))`` with the straight-through gradient ``1 - exp(-y)``.

    Built from ``exp`` and ``log`` alone: ``torch.expm1`` and ``torch.log1p`` go through MKL's
    vector maths, which ran 6-10x slower than ``exp`` here (AMD EPYC), and this function runs
    several times on every pixel and class of a logic loss. Near ``x = 0``, ``1 - exp(x)`` is
    corrected by Kahan's factor ``x / log(exp(x))``, which undoes the rounding of ``exp(x)``
    (so ``1 - p`` keeps its relative precision as ``p -> 1``); below ``-ln 2`` the plain
    ``log(1 - exp(x))`` is within an ulp of 1 in absolute terms. The derivative of
    ``y = log(1 - e^x)`` is ``-e^x / (1 - e^x) = 1 - exp(-y)``, so only the output is kept for
    the backward pass (one tensor instead of every intermediate).
    """

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        x = x.clamp(max=-EPS)
        u = torch.exp(x)                          # never 1 for x <= -EPS; 0 below about -103
        kahan = torch.where(x > -_LN2, x / torch.log(u), 1.0)
        y = torch.log((1 - u) * kahan)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return grad * (1 - torch.exp(-y))


def log1mexp(x: Tensor) -> Tensor:
    """``log(1 - exp(x))`` for ``x <= 0``: finite everywhere, relatively precise near ``x = 0``
    (where ``1 - p`` is tiny) and within an ulp of 1 absolutely below ``-ln 2``, where the
    value is small (see :class:`_Log1mExp` for why it avoids ``expm1``/``log1p``). ``x`` is
    clamped to ``<= -EPS`` (straight-through, see the module docstring). Half-precision
    inputs are computed in float32 and cast back.
    """
    if x.dtype in (torch.float16, torch.bfloat16):
        return _Log1mExp.apply(x.float()).to(x.dtype)
    return _Log1mExp.apply(x)


def lnot(x: Tensor) -> Tensor:
    """Negation: ``1 - p``."""
    return log1mexp(x)


def land(x: Tensor, y: Tensor) -> Tensor:
    """Conjunction: ``p * q``."""
    return x + y


def lor(x: Tensor, y: Tensor) -> Tensor:
    """Disjunction: ``p + q - p q = not(not p and not q)``."""
    return log1mexp(log1mexp(x) + log1mexp(y))


def limplies(x: Tensor, y: Tensor) -> Tensor:
    """Implication ``x -> y``: ``1 - p + p q = not(p and not q)``."""
    return log1mexp(x + log1mexp(y))


def liff(x: Tensor, y: Tensor) -> Tensor:
    """Equivalence: ``(x -> y) and (y -> x)``."""
    return limplies(x, y) + limplies(y, x)


def forall(x: Tensor, dim: int | tuple[int, ...] | None = None, mask: Tensor | None = None,
           keepdim: bool = False) -> Tensor:
    """Universal quantifier: the sum of ``x`` over ``dim`` (all dims if ``None``).

    ``mask`` (bool, broadcastable to ``x``) restricts the set: entries where it is False are
    left out. Over an empty set the result is ``0`` (true).
    """
    if mask is not None:
        x = torch.where(mask, x, torch.zeros((), dtype=x.dtype, device=x.device))
    if dim is None:
        return x.sum()
    return x.sum(dim=dim, keepdim=keepdim)


def exists(x: Tensor, dim: int | tuple[int, ...] | None = None, mask: Tensor | None = None,
           keepdim: bool = False) -> Tensor:
    """Existential quantifier: ``not forall not``, i.e. ``1 - prod(1 - p)``.

    ``mask`` as in :func:`forall`. Over an empty set the result is false, which the clamp in
    :func:`log1mexp` makes the finite :data:`LOG_FALSE` (``~= -16.1``) instead of ``-inf``.
    """
    return log1mexp(forall(log1mexp(x), dim=dim, mask=mask, keepdim=keepdim))
