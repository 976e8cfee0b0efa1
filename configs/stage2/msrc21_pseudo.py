# Second stage on MSRC-21: mmseg DeepLabV3+ R18 (random init) trained on a pseudo-mask folder
# (255 = undecided, ignored by the loss), validated on the true val masks (mmseg's IoUMetric: mIoU, mAcc, aAcc).
# configs/stage2/msrc21_pseudo_m2f.py is the same with mmseg Mask2Former R50.
# Set the folder: --cfg-options train_dataloader.dataset.data_prefix.seg_map_path=/path/to/masks
_base_ = ['_base_/runtime.py', '_base_/msrc21.py', '_base_/deeplabv3plus_r18.py']
num_classes = 21
model = dict(decode_head=dict(num_classes=num_classes))
max_iters = 1000
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=max_iters, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=250)
