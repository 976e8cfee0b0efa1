# CamVid (SegNet release, 240x180): ../shared/data/camvid, train -> val.
# Weak labels are simulated from the full masks, seeded per image (see wsseg/weak/simulate.py).
data_root = '../shared/data/camvid'
crop_size = (176, 176)   # CamVid rows override this (configs/camvid/_base_.py)
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadMask'),
    dict(type='RandomCrop', size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs', target='gt'),  # weak rows add LoadWeakLabels and target='partial'
]
test_pipeline = [dict(type='LoadImage'), dict(type='LoadMask'), dict(type='PackSegInputs', target='none')]
train_dataloader = dict(
    batch_size=8, num_workers=2, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='CamVidDataset', data_root=data_root, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='CamVidDataset', data_root=data_root, split='val', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='SegIoUMetric', num_classes=11)
test_evaluator = val_evaluator
