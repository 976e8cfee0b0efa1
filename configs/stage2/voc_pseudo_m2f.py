# Second stage on PASCAL VOC: mmseg Mask2Former R50 trained on pseudo-masks (255 = undecided,
# ignored by the losses), validated on the true val masks. For DeepLabV3+ instead, swap the
# last base for '_base_/deeplabv3plus_r18.py' and set its decode_head.num_classes=21.
_base_ = ['_base_/runtime.py', '_base_/voc.py', '_base_/mask2former_r50.py']
num_classes = 21
model = dict(decode_head=dict(
    num_classes=num_classes,
    loss_cls=dict(class_weight=[1.0] * num_classes + [0.1])))
