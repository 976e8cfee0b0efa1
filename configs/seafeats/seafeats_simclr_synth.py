# SeaFeats with the trunk initialised by SimCLR on the domain's own unlabelled train frames:
#   python tools/pretrain_simclr.py work_dirs/seagrass_synth/train/frames --out work_dirs/simclr_seagrass.pth \
#       --epochs 8 --size 64 --batch-size 20
#   python tools/train.py configs/seafeats/seafeats_simclr_synth.py
_base_ = ['./seafeats_random_init_synth.py']
model = dict(init_checkpoint='work_dirs/simclr_seagrass.pth', init_kind='SimCLR')
