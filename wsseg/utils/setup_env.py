"""Register every wsseg module with its registry."""
from __future__ import annotations

import importlib


def register_all_modules() -> None:
    """Import the wsseg packages so their registries are filled."""
    for name in ('wsseg.datasets', 'wsseg.weak', 'wsseg.models', 'wsseg.losses', 'wsseg.logic',
                 'wsseg.evaluation', 'wsseg.engine', 'wsseg.pseudo', 'wsseg.patch',
                 'wsseg.ssl'):
        importlib.import_module(name)
