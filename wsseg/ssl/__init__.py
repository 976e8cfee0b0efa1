"""Self-supervised pretraining of the ResNet trunk on a domain's own unlabelled images.

``UnlabelledImages`` gives two augmented views per image with their crop boxes; ``SSLPretrainer``
trains SimCLR (global) or DenseCL-style dense contrast (global + matched locations);
``ExportTrunkHook`` writes the trunk file every network loads (:mod:`wsseg.models.resnet_trunk`).
"""
from .dataset import UnlabelledImages, find_images  # noqa: F401
from .hooks import ExportTrunkHook  # noqa: F401
from .model import SSLPretrainer  # noqa: F401
