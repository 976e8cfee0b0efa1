# mmseg DeepLabV3+ ResNetV1c-18, output stride 8, random init (no ImageNet weights here).
num_classes = 11
norm_cfg = dict(type='BN', requires_grad=True)   # SyncBN under torchrun: --cfg-options norm_cfg.type=SyncBN
data_preprocessor = dict(type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
                         std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_val=0, seg_pad_val=255,
                         size_divisor=32)
model = dict(
    type='EncoderDecoder', data_preprocessor=data_preprocessor, pretrained=None,
    backbone=dict(type='ResNetV1c', depth=18, num_stages=4, out_indices=(0, 1, 2, 3),
                  dilations=(1, 1, 2, 4), strides=(1, 2, 1, 1), norm_cfg=norm_cfg, norm_eval=False,
                  style='pytorch', contract_dilation=True),
    decode_head=dict(type='DepthwiseSeparableASPPHead', in_channels=512, in_index=3, channels=128,
                     dilations=(1, 12, 24, 36), c1_in_channels=64, c1_channels=48, dropout_ratio=0.1,
                     num_classes=num_classes, norm_cfg=norm_cfg, align_corners=False,
                     loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                                      avg_non_ignore=True)),
    train_cfg=dict(), test_cfg=dict(mode='whole'))
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=5e-4),
                     clip_grad=dict(max_norm=10.0))
