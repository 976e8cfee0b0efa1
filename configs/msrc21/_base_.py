# Shared by every MSRC-21 benchmark row (configs/benchmarks/msrc21.py): the same network,
# schedule, crop, batch and seed. DeepLabV3+ R18 from random initialisation (no ImageNet weights
# here), 128x128 crops of the 320x213 images, batch 8, AdamW 1e-3 with poly decay over
# 1000 iterations (29 epochs of the 276 train images; the CamVid rows' 3000 iterations do not
# fit this machine's shared 2 cores; full_ce_long.py checks the plateau), the training forward in bfloat16. Scored on the 58
# val images: mIoU, mAcc (the per-class mean accuracy MSRC papers report) and aAcc (pixel
# accuracy); void (255, about 20% of pixels) is left out of both training and scoring.
# The data part (classes, crops, loaders, metric) is ../_base_/datasets/msrc21.py.
_base_ = ['../_base_/default_runtime.py', '../_base_/schedules/iters.py',
          '../_base_/models/deeplabv3plus_r18.py', '../_base_/datasets/msrc21.py']
num_classes = len(_base_.classes)
randomness = dict(seed=0)
max_iters = 1000
model = dict(net=dict(num_classes=num_classes), train_autocast='bfloat16')
optim_wrapper = dict(optimizer=dict(_delete_=True, type='AdamW', lr=1e-3, weight_decay=1e-4))
train_cfg = dict(max_iters=max_iters, val_interval=250)
param_scheduler = [dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0, end=max_iters, by_epoch=False)]
default_hooks = dict(checkpoint=dict(interval=500))
