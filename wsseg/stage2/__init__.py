"""Second stage: mmsegmentation networks trained on pseudo-mask folders.

The only part of wsseg that imports mmseg / mmcv / mmdet. Configs with
``default_scope = 'mmseg'`` are prepared by :func:`prepare_mmseg` before the Runner is built.
"""
from __future__ import annotations


def prepare_mmseg() -> None:
    """Register mmseg's (and mmdet's, for Mask2Former) modules; wsseg's hooks."""
    try:
        from mmseg.utils import register_all_modules
    except ImportError as e:  # mmcv not compiled yet
        raise ImportError('the second stage needs mmcv 2.1.0 with compiled ops and mmsegmentation: '
                          'run tools/setup_env.sh (or make test) once to build and cache them') from e
    register_all_modules(init_default_scope=False)
    import mmdet.models  # noqa: F401  (Mask2Former's pixel decoder, assigners and losses)
    import wsseg.engine  # noqa: F401  (SafeCheckpointHook)
    import wsseg.stage2.mmseg_data  # noqa: F401  (PseudoMaskSegDataset)
    import wsseg.stage2.losses  # noqa: F401  (ClassWeightedCrossEntropyLoss)
