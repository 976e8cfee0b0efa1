"""Registries: children of mmengine's root registries, plus the ones wsseg adds.

Configs use ``default_scope = 'wsseg'``; a ``type`` resolves here first, then in mmengine.
"""
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import Registry

DATASETS = Registry('dataset', parent=MMENGINE_DATASETS, locations=['wsseg.datasets'])
TRANSFORMS = Registry('transform', parent=MMENGINE_TRANSFORMS,
                      locations=['wsseg.datasets', 'wsseg.weak', 'wsseg.patch', 'wsseg.logic'])
MODELS = Registry('model', parent=MMENGINE_MODELS,
                  locations=['wsseg.models', 'wsseg.losses', 'wsseg.logic', 'wsseg.patch'])
METRICS = Registry('metric', parent=MMENGINE_METRICS, locations=['wsseg.evaluation'])
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, locations=['wsseg.engine', 'wsseg.patch'])
LOOPS = Registry('loop', parent=MMENGINE_LOOPS, locations=['wsseg.engine'])
RUNNERS = Registry('runner', parent=MMENGINE_RUNNERS, locations=['wsseg.engine'])
VISUALIZERS = Registry('visualizer', parent=MMENGINE_VISUALIZERS,
                       locations=['wsseg.visualization'])

# wsseg's own: no mmengine parent.
WEAK_LABELS = Registry('weak label source', scope='wsseg', locations=['wsseg.weak'])
PSEUDO_LABELLERS = Registry('pseudo labeller', scope='wsseg', locations=['wsseg.pseudo'])
