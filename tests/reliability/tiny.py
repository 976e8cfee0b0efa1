"""Shared by the reliability and distributed tests: tiny configs on generated scenes, and
running the real tools in subprocesses (one torch thread each)."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from mmengine.config import Config

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
CLASSES = ('background', 'disc', 'square', 'triangle', 'stripes')


def tiny_cfg(data_root: Path, work_dir: Path, iters: int = 8, batch: int = 4, ckpt_every: int = 4,
             norm: str = 'BN', deterministic: bool = True, flip: bool = False) -> Config:
    """The demo config shrunk: DeepLabV3+ R18 with 16 ASPP channels, full-mask CE, no random
    augmentation unless ``flip``, one log line and scalar per iteration, seed 0."""
    cfg = Config.fromfile(str(REPO / 'configs/demo/scenes_scribbles.py'))
    cfg.work_dir = str(work_dir)
    for d in (cfg.train_dataloader.dataset, cfg.val_dataloader.dataset, cfg.test_dataloader.dataset,
              cfg.pseudo_dataset):
        d.data_root = str(data_root)
    train = cfg.train_dataloader
    train.batch_size = batch
    train.dataset.pipeline = [p for p in train.dataset.pipeline          # the demo's crops and flips
                              if p['type'] not in ('RandomCrop', 'RandomFlip')
                              or (flip and p['type'] == 'RandomFlip')]
    train.dataset.pipeline[-1]['target'] = 'gt'
    cfg.model.net.update(aspp_channels=16, norm=norm)
    # float32 and one loss whatever the demo trains with: the tests compare runs to the bit
    cfg.model.train_autocast = None
    cfg.model.losses = [dict(type='PartialCrossEntropy')]
    cfg.randomness = dict(seed=0, deterministic=deterministic)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters, val_interval=iters)
    cfg.param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=iters, by_epoch=False)]
    cfg.default_hooks.checkpoint.update(interval=ckpt_every, max_keep_ckpts=2)
    cfg.default_hooks.logger.interval = 1
    cfg.log_processor = dict(by_epoch=False, window_size=1)
    return cfg


def dump(cfg: Config, path: Path) -> Path:
    cfg.dump(str(path))
    return path


def env(**extra: str) -> dict:
    """Subprocess environment: one thread, repo importable, no model hub."""
    e = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1', PYTHONPATH=str(REPO),
             HF_HUB_OFFLINE='1', PYTHON=PYTHON)
    e.update(extra)
    return e


def run_tool(args: list[str], timeout: float = 300, check: bool = True, **extra_env: str
             ) -> subprocess.CompletedProcess:
    """Run ``python <args>`` (or a shell script when args[0] ends in .sh) from the repo root."""
    cmd = args if args[0].endswith('.sh') else [PYTHON, *args]
    r = subprocess.run(cmd, cwd=REPO, env=env(**extra_env), capture_output=True, text=True,
                       timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f'{cmd} failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-5000:]}')
    return r


def start_tool(args: list[str], log: Path) -> subprocess.Popen:
    """Start ``python <args>`` in the background, output to ``log``."""
    f = open(log, 'w')
    return subprocess.Popen([PYTHON, *args], cwd=REPO, env=env(), stdout=f, stderr=subprocess.STDOUT)


def wait_for(cond, proc: subprocess.Popen, timeout: float = 240, poll: float = 0.02) -> None:
    """Poll ``cond()`` until true; fail if ``proc`` exits first or the time is up."""
    t0 = time.monotonic()
    while not cond():
        if proc.poll() is not None:
            raise AssertionError(f'process exited ({proc.returncode}) before the kill point')
        if time.monotonic() - t0 > timeout:
            proc.kill()
            raise AssertionError('kill point not reached in time')
        time.sleep(poll)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def scalars(work_dir: Path) -> list[dict]:
    """Every training scalar record (one per iteration) of each run in ``work_dir``, per run."""
    runs = []
    for f in sorted(work_dir.glob('*/vis_data/scalars.json')):
        recs = [json.loads(line) for line in f.read_text().splitlines()]
        runs.append([r for r in recs if 'loss' in r])
    return runs
