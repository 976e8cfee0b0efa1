"""Weak-label sources (plugins registered in ``WEAK_LABELS``) and simulation from full masks.

Importing this package registers ``Tags``, ``Boxes``, ``Scribbles``, ``Points``,
``StoredWeakLabels`` (weak labels written by the pipeline's first stage) and the
``LoadWeakLabels`` transform.
"""
from .base import LoadWeakLabels, WeakLabelSource, build_source, get_weak, image_rng  # noqa: F401
from .boxes import Boxes  # noqa: F401
from .points import Points  # noqa: F401
from .scribbles import Scribbles  # noqa: F401
from .stored import StoredWeakLabels, load_weak_labels, save_weak_labels  # noqa: F401
from .simulate import (simulate_boxes, simulate_points, simulate_scribbles,  # noqa: F401
                       simulate_tags, simulate_weak_labels)
from .tags import Tags  # noqa: F401
from .clip_prompts import ClipPrompts  # noqa: F401,E402
