# Scribbles (3%, simulated): partial CE + pointwise entropy (two-phase schedule).
_base_ = ['../camvid/scribbles_pce.py', './_regularisers_.py']
model = dict(losses=[dict(type='PartialCrossEntropy'), {{_base_.entropy_loss}}])
