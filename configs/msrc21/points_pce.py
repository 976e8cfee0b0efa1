# Partial CE on simulated points (1 interior click per connected region, seeded per image).
_base_ = ['./scribbles_pce.py']
weak_sources = [dict(type='Points', simulate=True, n_per_region=1, seed=0)]
train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImage'),
    dict(type='LoadMask'),
    dict(type='LoadWeakLabels', sources=weak_sources),
    dict(type='RandomCrop', size={{_base_.crop_size}}),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs', target='partial'),
]))
