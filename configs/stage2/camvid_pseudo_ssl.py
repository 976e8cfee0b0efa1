# As camvid_pseudo.py, with the ResNet-18 trunk of tools/pretrain_ssl.py loaded through mmseg's
# own init_cfg. mmseg's 'ResNet' (V1b: one 7x7 stem conv) has torchvision's key names, which
# the trunk file uses; ResNetV1c's deep stem does not. WssegRunner checks the keys before
# mmengine loads them (mmengine alone would load a mismatch with strict=False and only log it).
_base_ = ['./camvid_pseudo.py']
trunk = 'work_dirs/ssl/camvid_densecl/trunk.pth'
model = dict(backbone=dict(type='ResNet', init_cfg=dict(type='Pretrained', checkpoint=trunk)))
