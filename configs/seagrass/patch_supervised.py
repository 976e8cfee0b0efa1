# Upper bound: the same classifier trained on the true patch labels.
_base_ = ['./_base_.py']
train_pipeline = [dict(type='LoadImage'),
                  dict(type='LoadPatchTruth', source='npy', truth_dir='work_dirs/seagrass_synth/train/patch_labels'),
                  dict(type='PatchRandomFlip', prob=0.5), dict(type='PackPatchInputs')]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(label_source='truth')
