# Full supervision: cross-entropy on the complete CamVid masks (the reference row).
_base_ = ['./_base_.py']
