"""Shared fixtures. Real data comes from ../shared/data beside the repository."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
import torch

os.environ.setdefault('HF_HUB_OFFLINE', '1')   # never reach for a model hub in tests
torch.set_num_threads(1)   # small ops: threads only contend on a busy 2-core machine

SHARED_DATA = Path(__file__).resolve().parents[2] / 'shared' / 'data'
REPO = Path(__file__).resolve().parents[1]
# Twice the peak of a default run's temporary files (1.0 GB, checkpoints mostly), measured with
# passing tests' folders removed at once (setup.cfg); below it the run fails in hundreds of places.
MIN_FREE_GIB = 2.0


def _tmp_free() -> tuple[str, float]:
    """The temporary folder and the GiB free on its disk."""
    tmp = tempfile.gettempdir()
    return tmp, shutil.disk_usage(tmp).free / 2 ** 30


def pytest_sessionstart(session: pytest.Session) -> None:
    """Stop at once, with the reason, when the temporary folder's disk is nearly full."""
    tmp, free = _tmp_free()
    if free < MIN_FREE_GIB:
        pytest.exit(f'only {free:.1f} GiB free on the disk of {tmp}; the tests need about '
                    f'{MIN_FREE_GIB:.0f} GiB there for checkpoints. Free some space or set TMPDIR.',
                    returncode=1)


def pytest_report_header(config: pytest.Config) -> str:
    tmp, free = _tmp_free()
    return f'temporary files: {tmp} ({free:.1f} GiB free)'


@pytest.fixture(scope='session', autouse=True)
def _register():
    from wsseg.utils.setup_env import register_all_modules
    register_all_modules()


@pytest.fixture(autouse=True)
def one_thread():
    """One intra-op torch thread per test, restored afterwards: on a busy 2-core machine a
    second, descheduled OpenMP thread stalls every small op (10-50x slower)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope='session')
def shared_data() -> Path:
    """``../shared/data``, or skip: the real sample images live outside the repository."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f'real sample data not found at {SHARED_DATA} (the shared/ folder beside the repo)')
    return SHARED_DATA


@pytest.fixture(scope='session')
def repo_root() -> Path:
    return REPO
