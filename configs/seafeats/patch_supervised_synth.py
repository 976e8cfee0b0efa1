# Upper bound: the same patch classifier and budget, trained on the true patch labels.
#   python tools/train.py configs/seafeats/patch_supervised_synth.py
_base_ = ['../_base_/datasets/seagrass_synth.py', '../_base_/models/patch_classifier.py']
model = dict(label_source='truth')
