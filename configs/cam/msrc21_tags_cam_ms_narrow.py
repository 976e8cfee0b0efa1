# msrc21_tags_cam_ms.py with a narrower scale range: short side 96-160 (0.75-1.25x of 128).
#   python tools/train.py configs/cam/msrc21_tags_cam_ms_narrow.py
_base_ = ['./msrc21_tags_cam_ms.py']
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadMask'),
    dict(type='LoadWeakLabels', sources={{_base_.tag_sources}}),
    dict(type='RandomResize', short_side=(96, 160)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs', target='none'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
