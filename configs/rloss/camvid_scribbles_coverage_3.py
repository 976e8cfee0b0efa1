# Annotation-budget curve: pCE + CRF + entropy on simulated scribbles covering 0.03 of the pixels
# (the 3% point is the same training as camvid_scribbles_pce_crf_entropy.py).
_base_ = ['./camvid_scribbles_pce_crf_entropy.py']
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
