# Upper bound: the same classifier, SimCLR trunk and budget, trained on the true patch labels.
#   python tools/train.py configs/benthic/patch_supervised_simclr_benthic.py
_base_ = ['./_base_.py']
model = dict(label_source='truth', init_checkpoint='work_dirs/simclr_benthic.pth', init_kind='SimCLR')
