# SeaFeats on the real DeepSeagrass release (not reachable from this workplace): train on whole
# frames with image labels (SeparatedIntoClasses/Images/<Class>/*.JPG, 4624x2600, grid 5x9 as the
# paper), test on the labelled patch folders (DeepSeagrass-Test/<Class>/*, one patch = a 1x1 grid).
# Pretrain SimCLR on the frames, set deepseagrass_root, then:
#   python tools/pretrain_simclr.py data/DeepSeagrass/SeparatedIntoClasses/Images --out work_dirs/simclr_deepseagrass.pth
#   python tools/train.py configs/seafeats/seafeats_deepseagrass.py
_base_ = ['../_base_/models/patch_classifier.py']
deepseagrass_root = 'data/DeepSeagrass'
classes = ('Strappy', 'Ferny', 'Rounded', 'Background')
grid = (5, 9)
max_epochs = 20
model = dict(grid=grid, init_checkpoint='work_dirs/simclr_deepseagrass.pth', label_source='seafeats',
             data_preprocessor=dict(type='PatchDataPreprocessor', mean=(117.25, 135.86, 99.27),
                                    std=(26.37, 27.08, 33.86)))     # DeepSeagrass training statistics
train_pipeline = [dict(type='LoadImage'), dict(type='PatchRandomFlip', prob=0.5), dict(type='PackPatchInputs')]
test_pipeline = [dict(type='LoadImage'), dict(type='LoadPatchTruth', source='patch_label'),
                 dict(type='PackPatchInputs', grid=(1, 1))]
train_dataloader = dict(batch_size=4, num_workers=2, persistent_workers=True,
                        sampler=dict(type='DefaultSampler', shuffle=True),
                        collate_fn=dict(type='pseudo_collate'),
                        dataset=dict(type='DeepSeagrassFrames', class_order=classes,
                                     data_root=deepseagrass_root + '/SeparatedIntoClasses/Images',
                                     pipeline=train_pipeline))
val_dataloader = dict(batch_size=16, num_workers=2, persistent_workers=True,
                      sampler=dict(type='DefaultSampler', shuffle=False),
                      collate_fn=dict(type='pseudo_collate'),
                      dataset=dict(type='DeepSeagrassPatches', class_order=classes,
                                   data_root=deepseagrass_root + '/DeepSeagrass-Test', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='PatchMetric', classes=classes)
test_evaluator = val_evaluator
optim_wrapper = dict(optimizer=dict(lr=1e-5))          # the paper's Adam 1e-5
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(checkpoint=dict(interval=max_epochs))
custom_hooks = {{_base_.seafeats_hooks}}
