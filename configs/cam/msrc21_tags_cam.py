# Image tags -> CAM classifier on MSRC-21 (step 1 of the tags path, docs/methods/tags.md):
#   python tools/train.py configs/cam/msrc21_tags_cam.py
# Its validation mIoU / mAcc / aAcc score the dense CAM argmax over each val image's true tags.
# Tags are simulated from the full masks (the classes present; void excluded): 2.6 per image.
# Whole images, resized so the short side is 128 (192x128; 400 iterations = 12 epochs: what the
# shared CPUs allow): a crop would drop classes that the
# tags still name. ResNet-18, output stride 16, random init (no ImageNet weights here).
_base_ = ['../msrc21/_base_.py']
cam_model = dict(type='CamClassifier', num_classes={{_base_.num_classes}}, depth=18, output_stride=16,
                 data_preprocessor=dict(type='SegDataPreprocessor', size_divisor=32))
model = dict(_delete_=True, **cam_model)
max_iters = 400
train_cfg = dict(max_iters=max_iters, val_interval=100)
param_scheduler = [dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0, end=max_iters, by_epoch=False)]
default_hooks = dict(checkpoint=dict(interval=100))
tag_sources = [dict(type='Tags', simulate=True)]
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadMask'),
    dict(type='LoadWeakLabels', sources=tag_sources),
    dict(type='Resize', short_side=128),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs', target='none'),
]
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadMask'),
    dict(type='LoadWeakLabels', sources=tag_sources),
    dict(type='PackSegInputs', target='none'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
