# Partial CE on simulated scribbles (3% of pixels, skeleton strokes, seeded per image).
_base_ = ['./_base_.py']
weak_sources = [dict(type='Scribbles', simulate=True, coverage=0.03, seed=0)]
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadMask'),
    dict(type='LoadWeakLabels', sources=weak_sources),
    dict(type='RandomCrop', size={{_base_.crop_size}}),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs', target='partial'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
