# As msrc21_pseudo.py, with mmseg Mask2Former R50 (random init) as the second-stage network.
_base_ = ['_base_/runtime.py', '_base_/msrc21.py', '_base_/mask2former_r50.py']
num_classes = 21
model = dict(decode_head=dict(num_classes=num_classes,
                              loss_cls=dict(class_weight=[1.0] * num_classes + [0.1])))
max_iters = 1000
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=max_iters, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=250)
