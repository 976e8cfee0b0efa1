# As msrc21/full_ce.py (full masks, CE), from the SSL trunk instead of random initialisation.
_base_ = ['../../msrc21/full_ce.py', './_trunk_.py']
model = dict(net=dict(pretrained={{_base_.trunk}}))
