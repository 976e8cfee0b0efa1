# SeaFeats on the real DeepSeagrass release (not reachable from this workplace): train on whole
# frames with image labels (SeparatedIntoClasses/Images/<Class>/*.JPG, 4624x2600, grid 5x9 as the
# paper), test on the labelled patch folders (DeepSeagrass-Test/<Class>/*, one patch = a 1x1 grid).
# Set deepseagrass_root, then: python tools/train.py configs/seagrass/deepseagrass_seafeats.py
_base_ = ['./_base_.py']
deepseagrass_root = 'data/DeepSeagrass'
classes = ('Strappy', 'Ferny', 'Rounded', 'Background')
grid = (5, 9)
max_epochs = 20
model = dict(grid=grid, init_checkpoint='work_dirs/simclr_deepseagrass.pth',
             data_preprocessor=dict(type='PatchDataPreprocessor', mean=(117.25, 135.86, 99.27),
                                    std=(26.37, 27.08, 33.86)))
train_pipeline = [dict(type='LoadImage'), dict(type='PatchRandomFlip', prob=0.5), dict(type='PackPatchInputs')]
test_pipeline = [dict(type='LoadImage'), dict(type='LoadPatchTruth', source='patch_label'),
                 dict(type='PackPatchInputs', grid=(1, 1))]
train_dataloader = dict(batch_size=4, dataset=dict(
    type='DeepSeagrassFrames', class_order=classes, _delete_=True,
    data_root=deepseagrass_root + '/SeparatedIntoClasses/Images', pipeline=train_pipeline))
val_dataloader = dict(batch_size=16, dataset=dict(
    type='DeepSeagrassPatches', class_order=classes, _delete_=True,
    data_root=deepseagrass_root + '/DeepSeagrass-Test', pipeline=test_pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=1e-5))          # the paper's Adam 1e-5
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(checkpoint=dict(interval=max_epochs))
custom_hooks = [dict(type='SetIterationHook'), dict(type='SafeCheckpointHook'),
                dict(type='SeaFeatsTemplateHook')]
