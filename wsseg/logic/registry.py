"""``CONSTRAINTS``: the registry of logic constraints (wsseg's own, no mmengine parent)."""
from mmengine.registry import Registry

CONSTRAINTS = Registry('logic constraint', scope='wsseg', locations=['wsseg.logic'])
