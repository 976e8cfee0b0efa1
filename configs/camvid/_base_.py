# Shared by every CamVid benchmark row: the same network, schedule, crop, batch and seed.
# Budget chosen for 2 CPU cores: 1000 iterations of batch 8 on 128x128 crops (~25 min a row).
_base_ = ['../_base_/default_runtime.py', '../_base_/schedules/iters.py',
          '../_base_/models/deeplabv3plus_r18.py', '../_base_/datasets/camvid.py']
randomness = dict(seed=0)
max_iters = 1000
crop_size = (128, 128)
train_cfg = dict(max_iters=max_iters, val_interval=200)
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=max_iters, by_epoch=False)]
default_hooks = dict(checkpoint=dict(interval=200))
train_dataloader = dict(num_workers=1, dataset=dict(pipeline=[
    dict(type='LoadImage'),
    dict(type='LoadMask'),
    dict(type='RandomCrop', size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs', target='gt'),
]))
val_dataloader = dict(num_workers=1)
test_dataloader = val_dataloader
