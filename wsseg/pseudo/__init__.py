"""Pseudo-labellers (importing registers them in PSEUDO_LABELLERS)."""
from .base import PseudoLabeller  # noqa: F401
from .network import NetworkPseudoLabeller  # noqa: F401
from .crf import CRFRefined  # noqa: F401
from .cam import CamPseudoLabeller  # noqa: F401
from .sam_logic import SamLogicPseudoLabeller  # noqa: F401
from .sam_box import SamBoxPseudoLabeller  # noqa: F401
from .patch_map import PatchMapPseudoLabeller  # noqa: F401
from .dense_clip import DenseClipLabeller  # noqa: F401
from .cross_image import CrossImageCamLabeller  # noqa: F401
