# PASCAL VOC 2012 as an mmseg dataset for the second stage: train on a folder of masks
# (pseudo-masks, 255 = undecided) for the ids of a list file, validate on the true masks.
# data_root is the VOC2012 folder; override the lists / mask folders as needed.
data_root = 'data/VOCdevkit/VOC2012'
classes = ('background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat',
           'chair', 'cow', 'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant',
           'sheep', 'sofa', 'train', 'tvmonitor')
train_list, train_mask_dir = 'ImageSets/Segmentation/train_aug.txt', 'SegmentationClassAug'
val_list, val_mask_dir = 'ImageSets/Segmentation/val.txt', 'SegmentationClass'
crop_size = (320, 320)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(512, 512), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=(512, 512), keep_ratio=True),
                 dict(type='LoadAnnotations'), dict(type='PackSegInputs')]
train_dataloader = dict(
    batch_size=8, num_workers=2, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='PascalVOCDataset', data_root=data_root, ann_file=train_list,
                 data_prefix=dict(img_path='JPEGImages', seg_map_path=train_mask_dir),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='PascalVOCDataset', data_root=data_root, ann_file=val_list,
                 data_prefix=dict(img_path='JPEGImages', seg_map_path=val_mask_dir),
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
