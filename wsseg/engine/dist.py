"""torch.distributed set-up that works with and without CUDA.

mmengine's ``init_dist`` always calls ``torch.cuda.set_device``, which fails on a CPU-only
machine, and configs name ``nccl``, which needs CUDA. :func:`init_distributed` uses mmengine's
path when CUDA is there, and otherwise starts a ``gloo`` group from the environment that
torchrun (or SLURM) set.
"""
from __future__ import annotations

import atexit
import datetime
import gc
import os
import subprocess

import torch
import torch.distributed as dist
from mmengine.dist import init_dist


def pick_backend(requested: str | None) -> tuple[str, str | None]:
    """``requested`` (default ``nccl``), except that ``nccl`` without CUDA becomes ``gloo``.
    Returns the backend and, when it was changed, a sentence for the log."""
    backend = requested or 'nccl'
    if backend == 'nccl' and not torch.cuda.is_available():
        return 'gloo', 'CUDA is not available: using the gloo backend instead of nccl (CPU ranks)'
    return backend, None


def _slurm_env() -> None:
    """torchrun's variables from SLURM's (what mmengine's slurm launcher does)."""
    env = os.environ
    env.setdefault('RANK', env['SLURM_PROCID'])
    env.setdefault('WORLD_SIZE', env['SLURM_NTASKS'])
    env.setdefault('LOCAL_RANK', env.get('SLURM_LOCALID', '0'))
    env.setdefault('MASTER_PORT', '29500')
    if 'MASTER_ADDR' not in env:
        hosts = subprocess.check_output(['scontrol', 'show', 'hostnames', env['SLURM_NODELIST']], text=True)
        env['MASTER_ADDR'] = hosts.split()[0]


def destroy_distributed() -> None:
    """Tear the default process group down (a no-op without one). Registered at exit by
    :func:`init_distributed`: a gloo group left to interpreter shutdown can abort the
    process (SIGABRT, "terminate called without an active exception") when its worker
    threads reach for the GIL after Python is gone.

    A finished Runner sits in reference cycles (runner <-> loops and hooks), so its DDP model,
    whose reducer holds the group, outlives ``destroy_process_group`` until a cycle collection;
    without one here that collection happens during interpreter shutdown. Collect first."""
    if dist.is_available() and dist.is_initialized():
        gc.collect()
        dist.destroy_process_group()


def init_distributed(launcher: str, backend: str | None = None, timeout: float | None = None,
                     **kwargs) -> str | None:
    """Start the default process group for ``launcher`` ('pytorch' = torchrun, 'slurm',
    'mpi') unless one exists or ``launcher == 'none'``. ``timeout`` is in seconds.
    Returns the note of :func:`pick_backend` (None when the backend was kept)."""
    if launcher == 'none' or dist.is_initialized():
        return None
    backend, note = pick_backend(backend)
    atexit.register(destroy_distributed)
    if torch.cuda.is_available():
        init_dist(launcher, backend=backend, **(dict(timeout=timeout) if timeout else {}), **kwargs)
        return note
    if launcher == 'slurm':
        _slurm_env()
    elif launcher != 'pytorch':
        raise ValueError(f'launcher {launcher!r} on a CPU-only machine: use torchrun '
                         "(--launcher pytorch) or srun (--launcher slurm)")
    dist.init_process_group(backend, timeout=datetime.timedelta(seconds=timeout) if timeout else None)
    return note
