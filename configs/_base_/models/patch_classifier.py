# The patch classifier of SeaFeats / SeaCLIP: ResNet-18 trunk pooled to a patch grid, head
# 512-512-K per patch, class-weighted CE on the logits (wsseg/patch/classifier.py). One budget
# for every patch-path row: 6 epochs, batch 8 (dataset base), Adam 3e-4, seed 0.
_base_ = ['../default_runtime.py']
custom_imports = dict(imports=['wsseg.datasets', 'wsseg.weak', 'wsseg.models', 'wsseg.losses',
                               'wsseg.evaluation', 'wsseg.engine', 'wsseg.patch'],
                      allow_failed_imports=False)
num_classes = 4
grid = (5, 8)
max_epochs = 6
# Paper weights 1 / 1.5 / 1.2 / 1.2 for Background / Ferny / Rounded / Strappy, in csiro order:
class_weights = [1.2, 1.5, 1.2, 1.0]
model = dict(type='PatchClassifier', num_classes=num_classes, grid=grid, label_source='seafeats',
             class_weights=class_weights, threshold=0.6,
             data_preprocessor=dict(type='PatchDataPreprocessor'))
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=3e-4, weight_decay=1e-5))
param_scheduler = []
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
log_processor = dict(by_epoch=True, window_size=5)
default_hooks = dict(checkpoint=dict(by_epoch=True, interval=max_epochs, save_last=True),
                     logger=dict(interval=5))
# The hook lists, whole (mmengine replaces lists): configs pick one with {{_base_.<name>}}.
# PatchPseudoLabelHook writes <work_dir>/pseudo_labels and scores them; SavePatchMapsHook writes
# <work_dir>/patch_maps at test time.
plain_hooks = [dict(type='SetIterationHook'), dict(type='SafeCheckpointHook'),
               dict(type='PatchPseudoLabelHook'), dict(type='SavePatchMapsHook')]
seafeats_hooks = [dict(type='SetIterationHook'), dict(type='SafeCheckpointHook'),
                  dict(type='SeaFeatsTemplateHook'), dict(type='PatchPseudoLabelHook'),
                  dict(type='SavePatchMapsHook')]
custom_hooks = plain_hooks
