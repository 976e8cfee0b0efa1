"""Runner, hooks and distributed set-up (importing registers them)."""
from .checkpoint_hook import AtomicCheckpointHook  # noqa: F401
from .hooks import SetIterationHook  # noqa: F401
from .loops import SkipAwareTestLoop, SkipAwareValLoop  # noqa: F401
from .runner import WssegRunner  # noqa: F401
from .safe_checkpoint import SafeCheckpointHook  # noqa: F401
