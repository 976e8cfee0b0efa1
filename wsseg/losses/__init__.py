"""Losses (importing registers them in MODELS)."""
from .base import SegBatch  # noqa: F401
from .partial_ce import PartialCrossEntropy  # noqa: F401
from .crf_loss import DenseCRFLoss  # noqa: F401
from .entropy import EntropyLoss  # noqa: F401
from .mrf import SparseMRFLoss  # noqa: F401
from .ncut import NormalizedCutLoss  # noqa: F401
from .schedule import LossSchedule, Scheduled, scheduled_weight  # noqa: F401
