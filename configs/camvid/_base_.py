# Shared by every CamVid benchmark row: the same network, schedule, crop, batch and seed.
# DeepLabV3+ R18 from random initialisation (no ImageNet weights here), 128x128 crops, batch 8,
# AdamW 1e-3 with poly decay over 3000 iterations, the training forward in bfloat16 (1.7x per
# step on these CPUs; losses and evaluation in float32). The full-supervision reference is
# near its plateau here: configs/camvid/full_ce_long.py (twice as long) gains 2.1 mIoU
# (59.5 against 57.3; docs/benchmarks.md).
_base_ = ['../_base_/default_runtime.py', '../_base_/schedules/iters.py',
          '../_base_/models/deeplabv3plus_r18.py', '../_base_/datasets/camvid.py']
randomness = dict(seed=0)
max_iters = 3000
crop_size = (128, 128)
model = dict(train_autocast='bfloat16')
optim_wrapper = dict(optimizer=dict(_delete_=True, type='AdamW', lr=1e-3, weight_decay=1e-4))
train_cfg = dict(max_iters=max_iters, val_interval=250)
param_scheduler = [dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0, end=max_iters, by_epoch=False)]
default_hooks = dict(checkpoint=dict(interval=500))
train_dataloader = dict(num_workers=1, dataset=dict(pipeline=[
    dict(type='LoadImage'),
    dict(type='LoadMask'),
    dict(type='RandomCrop', size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs', target='gt'),
]))
val_dataloader = dict(num_workers=1)
test_dataloader = val_dataloader
