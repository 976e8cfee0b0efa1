# Image tags -> CAM seeds on CamVid, one config for both steps:
#   1. train the multi-label classifier:   python tools/train.py configs/cam/camvid_tags_cam.py
#      (its validation mIoU scores the dense CAM argmax over each val image's true tags)
#   2. seeds for the train split:          python tools/pseudo_label.py configs/cam/camvid_tags_cam.py \
#                                               --checkpoint work_dirs/camvid_tags_cam/iter_1000.pth
#   3. second stage on the seeds:          python tools/train.py configs/cam/camvid_tags_cam_stage2.py
# Tags are simulated from the full masks (the classes present in each image). CamVid has no
# background class, so pixels where every tag CAM is weak stay undecided (255).
_base_ = ['../camvid/_base_.py']
num_classes = 11
cam_model = dict(type='CamClassifier', num_classes=num_classes, depth=18, output_stride=16,
                 data_preprocessor=dict(type='SegDataPreprocessor', size_divisor=32))
model = dict(_delete_=True, **cam_model)
# The classifier is not the benchmark's segmentation network: 1000 iterations (whole frames cost
# 2.6x a 128x128 crop) suffice for its CAMs; the second stage (camvid_tags_cam_stage2.py) trains
# on the common 3000-iteration schedule.
max_iters = 1000
train_cfg = dict(max_iters=max_iters, val_interval=250)
param_scheduler = [dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0, end=max_iters, by_epoch=False)]
tag_sources = [dict(type='Tags', simulate=True)]
# Whole frames (240x180): a crop would drop classes that the tags still name.
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadMask'),
    dict(type='LoadWeakLabels', sources=tag_sources),
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
# Step 2: CAMs of each image's tags, normalised per class; >= 0.3 -> seed, the rest 255.
pseudo_out_dir = 'work_dirs/camvid_tags_cam/pseudo_masks'
pseudo_dataset = dict(type='CamVidDataset', data_root='../shared/data/camvid', split='train',
                      pipeline=test_pipeline)
pseudo_labeller = dict(type='CamPseudoLabeller', model=cam_model, fg_threshold=0.3, bg_threshold=0.05,
                       background_index=None, flip=True, crf=None)
