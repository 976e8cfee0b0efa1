# MSRC-21 as mmseg datasets for the second stage: train on a pseudo-mask folder (255 =
# undecided; PseudoMaskSegDataset lists train images without a mask, or skips them with
# bad_data='skip'; registered by wsseg.stage2.prepare_mmseg), validate on the true val masks (255 = void).
data_root = '../shared/data/msrc21'
classes = ('building', 'grass', 'tree', 'cow', 'sheep', 'sky', 'aeroplane', 'water', 'face', 'car',
           'bicycle', 'flower', 'sign', 'bird', 'book', 'chair', 'road', 'cat', 'dog', 'body', 'boat')
crop_size = (128, 128)
train_pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
                  dict(type='RandomCrop', crop_size=crop_size), dict(type='RandomFlip', prob=0.5),
                  dict(type='PackSegInputs')]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), dict(type='PackSegInputs')]
train_dataloader = dict(
    batch_size=8, num_workers=1, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='PseudoMaskSegDataset', data_root=data_root, metainfo=dict(classes=classes),
                 data_prefix=dict(img_path='images/train', seg_map_path='PSEUDO_MASKS'),
                 img_suffix='.png', seg_map_suffix='.png', reduce_zero_label=False, ignore_index=255,
                 bad_data='stop', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=1, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='BaseSegDataset', data_root=data_root, metainfo=dict(classes=classes),
                 data_prefix=dict(img_path='images/val', seg_map_path='masks/val'),
                 img_suffix='.png', seg_map_suffix='.png', reduce_zero_label=False, ignore_index=255,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
