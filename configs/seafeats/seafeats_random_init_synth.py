# SeaFeats on the synthetic seagrass frames: image labels only, ResNet-18 trunk from random init.
# Patch pseudo-labels from class templates, recomputed each epoch (SeaFeatsTemplateHook).
#   python tools/bench_patch.py --data-only        (the frames, once)
#   python tools/train.py configs/seafeats/seafeats_random_init_synth.py
#   python tools/test.py configs/seafeats/seafeats_random_init_synth.py \
#       work_dirs/seafeats_random_init_synth/epoch_6.pth
_base_ = ['../_base_/datasets/seagrass_synth.py', '../_base_/models/patch_classifier.py']
model = dict(label_source='seafeats')
custom_hooks = {{_base_.seafeats_hooks}}
