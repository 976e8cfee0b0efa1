"""Pseudo-labellers (importing registers them in PSEUDO_LABELLERS)."""
from .base import PseudoLabeller  # noqa: F401
from .network import NetworkPseudoLabeller  # noqa: F401
