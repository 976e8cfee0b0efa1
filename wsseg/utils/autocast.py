"""Reduced-precision training only where the hardware computes it natively.

On a CPU without native bfloat16 (AVX2 only, e.g. many AMD EPYC and desktop parts), oneDNN has
no bfloat16 convolution and PyTorch falls back to a slow reference kernel: a DeepLabV3+ R18
training step under ``torch.autocast('cpu', torch.bfloat16)`` took about 26x the float32 step
here (docs/benchmarks.md). Such a config then trains in float32, with a warning, instead.
"""
from __future__ import annotations

import functools
import warnings

import torch

_MKLDNN_PROBES = {torch.bfloat16: '_is_mkldnn_bf16_supported', torch.float16: '_is_mkldnn_fp16_supported'}
_warned: set[tuple] = set()


@functools.cache
def cpu_native(dtype: torch.dtype) -> bool:
    """Whether this CPU computes ``dtype`` convolutions natively (oneDNN's own probe)."""
    try:
        return bool(getattr(torch.ops.mkldnn, _MKLDNN_PROBES[dtype])())
    except (AttributeError, RuntimeError, KeyError):
        return False


def native(device_type: str, dtype: torch.dtype) -> bool:
    """Whether ``device_type`` runs ``dtype`` natively (CUDA: bfloat16 needs Ampere or later)."""
    if device_type == 'cpu':
        return cpu_native(dtype)
    if device_type == 'cuda' and dtype == torch.bfloat16:
        return torch.cuda.is_bf16_supported()
    return True


def autocast_dtype(name: str | None, device_type: str, owner: str) -> torch.dtype | None:
    """The dtype to autocast to (``name``: None, 'bfloat16' or 'float16'), or None for float32
    where ``device_type`` has no native ``name``; that fallback warns once per owner and device."""
    if name is None:
        return None
    dtype = getattr(torch, name)
    if native(device_type, dtype):
        return dtype
    if (owner, device_type, name) not in _warned:
        _warned.add((owner, device_type, name))
        warnings.warn(f"{owner}: train_autocast='{name}' ignored, training in float32: this {device_type} has "
                      f'no native {name} (oneDNN / CUDA report none), where {name} kernels run many times slower '
                      'than float32', stacklevel=3)
    return None
