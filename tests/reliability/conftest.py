"""Fixtures of the reliability suite."""
from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def restore_determinism():
    """A Runner built with ``deterministic=True`` switches torch's deterministic algorithms on
    for the whole process; switch them back so later tests run as they would alone."""
    before = torch.are_deterministic_algorithms_enabled()
    yield
    torch.use_deterministic_algorithms(before)
