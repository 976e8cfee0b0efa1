# Upper bound from random init: trained on the true patch labels.
#   python tools/train.py configs/benthic/patch_supervised_benthic.py
_base_ = ['./_base_.py']
model = dict(label_source='truth')
