"""wsseg.engine.dist: the CPU fallback to gloo, and the group torn down before interpreter exit."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from wsseg.engine.dist import pick_backend
from wsseg.pipeline.launch import free_port

REPO = Path(__file__).resolve().parents[2]


def test_nccl_without_cuda_becomes_gloo():
    import torch
    backend, note = pick_backend('nccl')
    if torch.cuda.is_available():
        assert backend == 'nccl' and note is None
    else:
        assert backend == 'gloo' and 'gloo' in note
    assert pick_backend('gloo') == ('gloo', None)


def test_process_group_is_destroyed_at_exit():
    """A gloo group left to interpreter shutdown can abort the process (SIGABRT, seen in CI);
    init_distributed registers its teardown at exit. An exit handler registered before it runs
    after it (LIFO), so it sees no group left."""
    script = textwrap.dedent('''
        import atexit, torch, torch.distributed as dist
        from wsseg.engine.dist import init_distributed
        atexit.register(lambda: print('group left at exit:', dist.is_initialized(), flush=True))
        init_distributed('pytorch', backend='gloo')
        t = torch.ones(3)
        dist.all_reduce(t)
        print('sum', float(t.sum()), flush=True)
    ''')
    env = dict(os.environ, RANK='0', LOCAL_RANK='0', WORLD_SIZE='1', MASTER_ADDR='127.0.0.1',
               MASTER_PORT=str(free_port()), PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, '-c', script], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert 'sum 3.0' in out.stdout and 'group left at exit: False' in out.stdout


def test_ddp_model_in_a_reference_cycle_is_freed_before_interpreter_shutdown():
    """A finished mmengine Runner sits in reference cycles, so its DDP model (whose reducer holds
    the gloo group) outlived destroy_process_group until Python's shutdown collected it, and
    the gloo threads then aborted the rank (flaky SIGABRT of the --nproc 2 pipeline test in
    CI). The exit handler collects cycles first: a handler registered before it sees none."""
    script = textwrap.dedent('''
        import atexit, gc, torch, torch.distributed as dist
        from torch.nn.parallel import DistributedDataParallel as DDP
        from wsseg.engine.dist import init_distributed
        def alive():
            n = sum(isinstance(o, DDP) for o in gc.get_objects())
            print('ddp alive at exit:', n, flush=True)
        atexit.register(alive)
        init_distributed('pytorch', backend='gloo')

        class Holder:   # runner <-> hook style cycle
            pass
        h = Holder()
        h.model = DDP(torch.nn.Linear(4, 2))
        h.self_ref = h
        h.model(torch.randn(3, 4)).sum().backward()
        print('grad', h.model.module.weight.grad.shape, flush=True)
        del h
    ''')
    env = dict(os.environ, RANK='0', LOCAL_RANK='0', WORLD_SIZE='1', MASTER_ADDR='127.0.0.1',
               MASTER_PORT=str(free_port()), PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, '-c', script], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert 'grad torch.Size([2, 4])' in out.stdout and 'ddp alive at exit: 0' in out.stdout
