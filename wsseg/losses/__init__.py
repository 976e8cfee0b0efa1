"""Losses (importing registers them in MODELS)."""
from .base import SegBatch  # noqa: F401
from .partial_ce import PartialCrossEntropy  # noqa: F401
