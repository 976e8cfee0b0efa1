"""Product t-norm logic in log space, the constraint library and the logic loss.

Importing this package registers the constraints in ``CONSTRAINTS`` and the losses
(``LogicLoss``, ``MMSegLogicLoss``) in ``wsseg.registry.MODELS``.
"""
from .registry import CONSTRAINTS  # noqa: F401
from .tnorm import (EPS, LOG_FALSE, exists, forall, land, liff, limplies, lnot,  # noqa: F401
                    log1mexp, lor)
from .constraints import (BoxTightness, Constraint, OutsideBoxesBackground,  # noqa: F401
                          OutsideClassBoxes, PointClass, ScribbleClass, TagsAbsent, TagsPresent)
from .constraints_local import NeighbourConsensus, NeighbourSupport, SuperpixelBorder  # noqa: F401
from .superpixels import SUPERPIXEL_CACHE, SuperpixelCache, superpixel_labels  # noqa: F401
from .loss import LogicLoss, MMSegLogicLoss  # noqa: F401
