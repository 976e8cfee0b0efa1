# Full supervision: cross-entropy on the complete MSRC-21 train masks (the reference row).
#   python tools/train.py configs/msrc21/full_ce.py
_base_ = ['./_base_.py']
