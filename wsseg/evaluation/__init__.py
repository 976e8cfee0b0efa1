"""Metrics: confusion matrices, segmentation IoU, patch classification scores (importing registers them)."""
from .confusion import (confusion_matrix, labelled_fraction, mask_report, print_report,  # noqa: F401
                        scores_from_confusion)
from .patch_metric import PatchMetric  # noqa: F401
from .seg_metric import SegIoUMetric  # noqa: F401
