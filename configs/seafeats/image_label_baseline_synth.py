# Naive baseline: the same patch classifier trained with the frame's image label on every patch.
#   python tools/train.py configs/seafeats/image_label_baseline_synth.py
_base_ = ['../_base_/datasets/seagrass_synth.py', '../_base_/models/patch_classifier.py']
model = dict(label_source='image')
