"""Checkpoints that load under ``torch.load(weights_only=True)``, with no allow-listing.

mmengine's Runner pickles its message hub (``HistoryBuffer`` objects holding numpy arrays)
into every checkpoint, which torch >= 2.6 refuses to load by default. Rather than allowing
those classes (and ``getattr``) in the unpickler, this hook stores them as plain lists and
numbers before saving, and rebuilds the buffers after loading.
"""
from __future__ import annotations

import numpy as np
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer

from wsseg.registry import HOOKS

_MARK = '__wsseg_history_buffer__'


def to_plain(obj):
    """Replace HistoryBuffers and numpy values, recursively, by lists, dicts and numbers."""
    if isinstance(obj, HistoryBuffer):
        log, count = obj.data
        return {_MARK: True, 'log_history': log.tolist(), 'count_history': count.tolist(),
                'max_length': int(obj.max_length)}
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        return type(obj)((k, to_plain(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_plain(v) for v in obj)
    return obj


def from_plain(obj):
    """Inverse of :func:`to_plain` for the HistoryBuffers."""
    if isinstance(obj, dict):
        if obj.get(_MARK):
            return HistoryBuffer(obj['log_history'], obj['count_history'], obj['max_length'])
        return type(obj)((k, from_plain(v)) for k, v in obj.items())
    return obj


@HOOKS.register_module()
class SafeCheckpointHook(Hook):
    """Keep checkpoints to tensors and plain Python data (see module docstring)."""

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        for key in ('message_hub', 'meta'):
            if key in checkpoint:
                checkpoint[key] = to_plain(checkpoint[key])

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if 'message_hub' in checkpoint:
            checkpoint['message_hub'] = from_plain(checkpoint['message_hub'])
