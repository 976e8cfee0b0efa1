# Shared by every MSRC-21 benchmark row (configs/benchmarks/msrc21.py): the same network,
# schedule, crop, batch and seed. DeepLabV3+ R18 from random initialisation (no ImageNet weights
# here), 128x128 crops of the 320x213 images, batch 8, AdamW 1e-3 with poly decay over
# 1000 iterations (29 epochs of the 276 train images; the CamVid rows' 3000 iterations do not
# fit this machine's shared 2 cores; full_ce_long.py checks the plateau), the training forward in bfloat16. Scored on the 58
# val images: mIoU, mAcc (the per-class mean accuracy MSRC papers report) and aAcc (pixel
# accuracy); void (255, about 20% of pixels) is left out of both training and scoring.
_base_ = ['../_base_/default_runtime.py', '../_base_/schedules/iters.py',
          '../_base_/models/deeplabv3plus_r18.py']
data_root = '../shared/data/msrc21'
classes = ('building', 'grass', 'tree', 'cow', 'sheep', 'sky', 'aeroplane', 'water', 'face', 'car',
           'bicycle', 'flower', 'sign', 'bird', 'book', 'chair', 'road', 'cat', 'dog', 'body', 'boat')
num_classes = len(classes)
randomness = dict(seed=0)
max_iters = 1000
crop_size = (128, 128)
model = dict(net=dict(num_classes=num_classes), train_autocast='bfloat16')
optim_wrapper = dict(optimizer=dict(_delete_=True, type='AdamW', lr=1e-3, weight_decay=1e-4))
train_cfg = dict(max_iters=max_iters, val_interval=250)
param_scheduler = [dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0, end=max_iters, by_epoch=False)]
default_hooks = dict(checkpoint=dict(interval=500))
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
val_evaluator = dict(type='SegIoUMetric', num_classes=num_classes)
test_evaluator = val_evaluator
