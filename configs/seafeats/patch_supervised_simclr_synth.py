# Upper bound with the same SimCLR-initialised trunk as configs/seafeats/seafeats_simclr_synth.py:
# trained on the true patch labels, so "image labels vs patch labels" compares like with like.
#   python tools/train.py configs/seafeats/patch_supervised_simclr_synth.py
_base_ = ['./patch_supervised_synth.py']
model = dict(init_checkpoint='work_dirs/simclr_seagrass.pth', init_kind='SimCLR')
