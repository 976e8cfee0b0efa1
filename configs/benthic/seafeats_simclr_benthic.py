# SeaFeats with the trunk initialised by SimCLR on the benthic TRAIN patches (unlabelled use):
#   python tools/train.py configs/benthic/seafeats_random_init_benthic.py   (composes the frames once)
#   python tools/pretrain_simclr.py work_dirs/benthic_frames/train/patches --out work_dirs/simclr_benthic.pth \
#       --epochs 200 --size 32 --batch-size 64 --threads 2     (about 25 min on 2 CPU cores)
#   python tools/train.py configs/benthic/seafeats_simclr_benthic.py
_base_ = ['./seafeats_random_init_benthic.py']
model = dict(init_checkpoint='work_dirs/simclr_benthic.pth', init_kind='SimCLR')
