# DenseCL-style pretraining (global + geometrically matched dense contrast) on CamVid's 367
# unlabelled train frames. Chosen over SimCLR as the default for the dense path: see
# docs/methods/ssl.md for the measured comparison.
_base_ = ['./_base_.py']
folders = ['../shared/data/camvid/images/train']
train_dataloader = dict(dataset=dict(folders=folders))
