# The same patch path on another "image label -> patch map" dataset: SUIM underwater images
# (../shared/data/suim, 8 images with RGB-coded masks). Image labels come from the masks (the
# foreground class covering most pixels, BW = background/water otherwise); patch truth is the
# majority of the mask in each grid cell. SeaFeats pseudo-labels, random init; 8 images only, so
# train and test are the same images (a demonstration that the path runs, not a benchmark).
#   python tools/train.py configs/seafeats/seafeats_suim.py
_base_ = ['../_base_/models/patch_classifier.py']
data_root = '../shared/data/suim'
classes = ('BW', 'HD', 'PF', 'WR', 'RO', 'RI', 'FV', 'SR')
grid = (5, 8)
model = dict(num_classes=8, grid=grid, background_index=0, class_weights=None, label_source='seafeats')
_label = [dict(type='LoadImage'), dict(type='LoadMask'), dict(type='Resize', scale=(240, 320)),
          dict(type='ImageLabelFromMask', background_index=0, min_fraction=0.05),
          dict(type='LoadPatchTruth', source='mask', grid=grid)]
train_pipeline = _label + [dict(type='PatchRandomFlip', prob=0.5), dict(type='PackPatchInputs')]
test_pipeline = _label + [dict(type='PackPatchInputs')]
_suim = dict(type='SUIMDataset', data_root=data_root, split=None)
train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                        sampler=dict(type='DefaultSampler', shuffle=True),
                        collate_fn=dict(type='pseudo_collate'), dataset=dict(_suim, pipeline=train_pipeline))
val_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                      sampler=dict(type='DefaultSampler', shuffle=False),
                      collate_fn=dict(type='pseudo_collate'), dataset=dict(_suim, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='PatchMetric', classes=classes)
test_evaluator = val_evaluator
custom_hooks = {{_base_.seafeats_hooks}}
