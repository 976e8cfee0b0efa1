"""Register every wsseg module and make mmengine checkpoints loadable with weights_only."""
from __future__ import annotations

import importlib


def register_all_modules() -> None:
    """Import the wsseg packages so their registries are filled, and allow-list the globals
    that mmengine's Runner writes into checkpoints (torch >= 2.6 loads with weights_only)."""
    for name in ('wsseg.datasets', 'wsseg.weak', 'wsseg.models', 'wsseg.losses', 'wsseg.logic',
                 'wsseg.evaluation', 'wsseg.engine', 'wsseg.pseudo'):
        importlib.import_module(name)
    allow_runner_checkpoint_globals()


def allow_runner_checkpoint_globals() -> None:
    """Allow exactly the plain-data classes an mmengine checkpoint's ``message_hub`` holds."""
    import numpy as np
    import torch
    from mmengine.logging.history_buffer import HistoryBuffer
    safe = [HistoryBuffer, np.dtype, np.ndarray, np.core.multiarray.scalar,
            np.core.multiarray._reconstruct]
    safe += [type(np.dtype(t)) for t in ('float64', 'float32', 'int64', 'int32', 'bool')]
    torch.serialization.add_safe_globals(safe)
