# MSRC-21 (MSRC v2 images, cleaned-up labels, mostly 320x213): ../shared/data/msrc21,
# 276 train -> 58 val, 21 classes, no background class; void (255, ~20% of pixels) is left out
# of training and scoring. Weak labels are simulated from the full masks, seeded per image.
data_root = '../shared/data/msrc21'
classes = ('building', 'grass', 'tree', 'cow', 'sheep', 'sky', 'aeroplane', 'water', 'face', 'car',
           'bicycle', 'flower', 'sign', 'bird', 'book', 'chair', 'road', 'cat', 'dog', 'body', 'boat')
crop_size = (128, 128)
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadMask'),
    dict(type='RandomCrop', size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs', target='gt'),   # weak rows add LoadWeakLabels and target='partial'
]
test_pipeline = [dict(type='LoadImage'), dict(type='LoadMask'), dict(type='PackSegInputs', target='none')]
train_dataloader = dict(
    batch_size=8, num_workers=1, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='MSRC21Dataset', data_root=data_root, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4, num_workers=1, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='MSRC21Dataset', data_root=data_root, split='val', pipeline=test_pipeline))
test_dataloader = val_dataloader
# mIoU, mAcc (the per-class mean accuracy MSRC papers report) and aAcc (pixel accuracy)
val_evaluator = dict(type='SegIoUMetric', num_classes=len(classes))
test_evaluator = val_evaluator
