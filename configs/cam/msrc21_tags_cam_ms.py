# msrc21_tags_cam_long.py (1200 iterations) with multi-scale training: each image's short side is
# drawn from 64-192 pixels (0.5-1.5x the fixed 128, the scale range of IRN's classifier) instead
# of fixed at 128. The chain's CAMs are taken at scales 0.4 and 0.6 of the 213-pixel originals
# (85 and 128 pixels), and validation scores whole images (213); a classifier trained at one size
# sees objects at one size. Asks whether the tags path's pseudo-masks gain (docs/benchmarks.md,
# issue 12).
#   python tools/train.py configs/cam/msrc21_tags_cam_ms.py
_base_ = ['./msrc21_tags_cam_long.py']
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadMask'),
    dict(type='LoadWeakLabels', sources={{_base_.tag_sources}}),
    dict(type='RandomResize', short_side=(64, 192)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs', target='none'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
