"""The patch path: image labels in, a coarse patch-level segmentation out (SeaFeats, SeaCLIP,
their ensemble), SimCLR pretraining of the trunk, and pixel refinement of patch maps.

Importing registers ``PatchClassifier``, ``PatchEnsemble``, ``PatchDataPreprocessor``
(MODELS), ``SeaFeatsTemplateHook``, ``PatchPseudoLabelHook``, ``SavePatchMapsHook`` (HOOKS),
``PatchPixelMetric`` (METRICS) and the transforms ``LoadPatchTruth``, ``ImageLabelFromMask``,
``PatchRandomFlip``, ``PackPatchInputs`` (TRANSFORMS). SAM prompted by patch maps lives in
:mod:`wsseg.patch.sam_refine` (imported when used).
"""
from .backbone import ResNet18Trunk, load_trunk_weights  # noqa: F401
from .classifier import PatchClassifier  # noqa: F401
from .data import (ImageLabelFromMask, LoadPatchTruth, PackPatchInputs, PatchDataPreprocessor,  # noqa: F401
                   PatchRandomFlip, PatchSample)
from .ensemble import PatchEnsemble, ensemble_probs, standardise  # noqa: F401
from .grid import colour_patch_map, grid_bounds, patch_map_to_pixels, split_patches  # noqa: F401
from .pixel_metric import PatchPixelMetric  # noqa: F401
from .pseudo_labels import PatchPseudoLabelHook, collect_pseudo_labels  # noqa: F401
from .seafeats import SeaFeatsTemplateHook, compute_templates, seafeats_pseudo_labels  # noqa: F401
from .vis import SavePatchMapsHook, save_patch_map  # noqa: F401
