"""Run wsseg's command-line tools from the pipeline, each in its own process.

A stage writes the concrete config it runs into its folder and calls the same tool a user
would (``tools/train.py``, ``tools/pseudo_label.py``, ``tools/test.py``), so every step can be
rerun by hand from that folder. With ``nproc > 1`` the tool runs under torchrun through
``tools/dist_train.sh`` / ``tools/dist_pseudo_label.sh`` (gloo on CPU, nccl on CUDA).
"""
from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path

from mmengine.config import Config

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / 'tools'
_DIST = {'train.py': 'dist_train.sh', 'pseudo_label.py': 'dist_pseudo_label.sh', 'test.py': 'dist_train.sh'}


class StageError(RuntimeError):
    """A pipeline stage failed; the message names the stage, the command and its log."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def write_config(cfg: Config, path: Path) -> Path:
    """Dump a merged config as a standalone ``.py`` file (what the stage runs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cfg.dump(str(path))
    return path


def run_tool(script: str, args: list[str], log: Path, nproc: int = 1, stage: str = '') -> None:
    """Run ``tools/<script> args`` (under torchrun when ``nproc > 1``); output goes to ``log``
    and to this process's stdout. A failure raises :class:`StageError` with the log's tail."""
    if nproc > 1:
        env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()))
        if script == 'test.py':
            env['SCRIPT'] = 'test.py'
        cmd = ['bash', str(TOOLS / _DIST[script]), args[0], str(nproc), *args[1:]]
    else:
        env = dict(os.environ)
        cmd = [sys.executable, str(TOOLS / script), *args]
    env['PYTHONPATH'] = os.pathsep.join([str(REPO), env.get('PYTHONPATH', '')]).rstrip(os.pathsep)
    log.parent.mkdir(parents=True, exist_ok=True)
    print(f'[pipeline:{stage}] $ {shlex.join(cmd)}  (log: {log})', flush=True)
    with open(log, 'ab') as f:
        f.write(f'\n$ {shlex.join(cmd)}\n'.encode())
        f.flush()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for line in proc.stdout:
            f.write(line)
            sys.stdout.buffer.write(line)
        sys.stdout.flush()
        rc = proc.wait()
    if rc != 0:
        raise StageError(f'stage {stage!r}: {shlex.join(cmd)} exited with {rc}; log {log}; '
                         f'{failure_excerpt(log)}')


_ERROR = re.compile(r'Error|Traceback|terminate called|what\(\):|Aborted|Killed|NaN')


def failure_excerpt(log: Path, n_errors: int = 12, n_tail: int = 25) -> str:
    """What a failed run said: its error-looking lines (a rank's own message is often buried
    above torchrun's summary) and its last lines, from the last command in ``log``."""
    text = log.read_bytes().decode(errors='replace')
    lines = text[text.rfind('\n$ ') + 1:].splitlines()
    errors = [ln for ln in lines[:-n_tail] if _ERROR.search(ln)][-n_errors:]
    head = ('error lines:\n' + '\n'.join(errors) + '\n') if errors else ''
    return head + 'last lines:\n' + '\n'.join(lines[-n_tail:])


def last_checkpoint(work_dir: Path, stage: str = '') -> Path:
    """The checkpoint mmengine's CheckpointHook named last in ``work_dir``."""
    marker = work_dir / 'last_checkpoint'
    if not marker.is_file():
        raise StageError(f'stage {stage!r}: training in {work_dir} left no last_checkpoint file')
    ckpt = Path(marker.read_text().strip())
    if not ckpt.is_absolute():
        ckpt = (REPO / ckpt) if (REPO / ckpt).is_file() else (work_dir / ckpt.name)
    if not ckpt.is_file():
        raise StageError(f'stage {stage!r}: {marker} names {ckpt}, which does not exist')
    return ckpt
