# SeaFeats on the composed benthic frames: image labels only, ResNet-18 trunk from random init.
#   python tools/train.py configs/benthic/seafeats_random_init_benthic.py
_base_ = ['./_base_.py']
model = dict(label_source='seafeats')
custom_hooks = {{_base_.seafeats_hooks}}
