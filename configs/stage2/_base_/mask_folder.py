# Any image folder + mask folder as an ordinary mmseg dataset. Pseudo-masks use 255 for
# undecided pixels, which mmseg's CE ignores: partial CE comes for free.
# Override img_dir / mask_dir (train: pseudo-masks; val: true masks) and classes.
data_root = '../shared/data/camvid'
classes = ('sky', 'building', 'pole', 'road', 'pavement', 'tree', 'sign_symbol', 'fence', 'car',
           'pedestrian', 'bicyclist')
train_img_dir, train_mask_dir = 'images/train', 'masks/train'
val_img_dir, val_mask_dir = 'images/val', 'masks/val'
img_suffix = '.jpg'
crop_size = (176, 176)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), dict(type='PackSegInputs')]
train_dataloader = dict(
    batch_size=8, num_workers=2, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='BaseSegDataset', data_root=data_root, metainfo=dict(classes=classes),
                 data_prefix=dict(img_path=train_img_dir, seg_map_path=train_mask_dir),
                 img_suffix=img_suffix, seg_map_suffix='.png', reduce_zero_label=False,
                 ignore_index=255, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='BaseSegDataset', data_root=data_root, metainfo=dict(classes=classes),
                 data_prefix=dict(img_path=val_img_dir, seg_map_path=val_mask_dir),
                 img_suffix=img_suffix, seg_map_suffix='.png', reduce_zero_label=False,
                 ignore_index=255, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
