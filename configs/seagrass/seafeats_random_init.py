# SeaFeats from image labels only, ResNet-18 trunk from random init (no SimCLR).
_base_ = ['./_base_.py']
custom_hooks = [dict(type='SetIterationHook'), dict(type='SafeCheckpointHook'),
                dict(type='SeaFeatsTemplateHook'), dict(type='SavePatchMapsHook')]
