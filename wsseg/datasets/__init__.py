"""Datasets and pipeline transforms (importing registers them)."""
from .base import WeakSegDataset  # noqa: F401
from .benthic import BenthicFrames  # noqa: F401
from .coco import CocoInstancesDataset  # noqa: F401
from .deepseagrass import DeepSeagrassFrames, DeepSeagrassPatches  # noqa: F401
from .folder import CamVidDataset, FolderDataset, ISBIDataset, SUIMDataset  # noqa: F401
from .msrc21 import MSRC21Dataset  # noqa: F401
from .transforms import LoadImage, LoadMask, PackSegInputs, RandomCrop, RandomFlip, RandomResize, Resize  # noqa: F401
from .voc import VOCDataset  # noqa: F401
