# Naive baseline: the frame's image label on every patch (SimCLR trunk, as the SeaFeats row).
#   python tools/train.py configs/benthic/image_label_baseline_benthic.py
_base_ = ['./_base_.py']
model = dict(label_source='image', init_checkpoint='work_dirs/simclr_benthic.pth', init_kind='SimCLR')
