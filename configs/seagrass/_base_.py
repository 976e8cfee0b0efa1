# The seagrass patch path on synthetic seagrass frames (wsseg/datasets/synthetic.py).
# Make the data first:  python tools/bench_patch.py --data-only   (writes work_dirs/seagrass_synth)
# Train:  python tools/train.py configs/seagrass/seafeats_random_init.py
# Test:   python tools/test.py configs/seagrass/seafeats_random_init.py work_dirs/.../epoch_8.pth
_base_ = ['../_base_/default_runtime.py']
custom_imports = dict(imports=['wsseg.datasets', 'wsseg.weak', 'wsseg.models', 'wsseg.losses',
                               'wsseg.evaluation', 'wsseg.engine', 'wsseg.patch'],
                      allow_failed_imports=False)
data_root = 'work_dirs/seagrass_synth'
classes = ('Strappy', 'Ferny', 'Rounded', 'Background')      # csiro order, background last
num_classes = len(classes)
grid = (5, 8)
max_epochs = 8
# Paper weights 1 / 1.5 / 1.2 / 1.2 for Background / Ferny / Rounded / Strappy, in csiro order:
class_weights = [1.2, 1.5, 1.2, 1.0]
model = dict(type='PatchClassifier', num_classes=num_classes, grid=grid, label_source='seafeats',
             class_weights=class_weights, threshold=0.6,
             data_preprocessor=dict(type='PatchDataPreprocessor'))
train_pipeline = [dict(type='LoadImage'), dict(type='PatchRandomFlip', prob=0.5),
                  dict(type='PackPatchInputs')]
test_pipeline = [dict(type='LoadImage'),
                 dict(type='LoadPatchTruth', source='npy', truth_dir=data_root + '/test/patch_labels'),
                 dict(type='PackPatchInputs')]
_frames = dict(type='DeepSeagrassFrames', class_order=classes)
train_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                        sampler=dict(type='DefaultSampler', shuffle=True),
                        collate_fn=dict(type='pseudo_collate'),
                        dataset=dict(_frames, data_root=data_root + '/train/frames', pipeline=train_pipeline))
val_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                      sampler=dict(type='DefaultSampler', shuffle=False),
                      collate_fn=dict(type='pseudo_collate'),
                      dataset=dict(_frames, data_root=data_root + '/test/frames', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='PatchMetric', classes=classes)
test_evaluator = val_evaluator
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=3e-4, weight_decay=1e-5))
param_scheduler = []
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
log_processor = dict(by_epoch=True, window_size=5)
default_hooks = dict(checkpoint=dict(by_epoch=True, interval=max_epochs, save_last=True),
                     logger=dict(interval=5))
custom_hooks = [dict(type='SetIterationHook'), dict(type='SafeCheckpointHook'),
                dict(type='SavePatchMapsHook')]
