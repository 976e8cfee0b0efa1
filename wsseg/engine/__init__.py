"""Hooks and loops (importing registers them)."""
from .hooks import SetIterationHook  # noqa: F401
from .safe_checkpoint import SafeCheckpointHook  # noqa: F401
