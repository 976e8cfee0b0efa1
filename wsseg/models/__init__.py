"""Models (importing registers them in MODELS)."""
from .deeplab import DeepLabV3Plus  # noqa: F401
from .segmentor import SegDataPreprocessor, WeakSegmentor  # noqa: F401
from .cam_classifier import CamClassifier  # noqa: F401
from .sam import build_sam, build_small_sam  # noqa: F401
