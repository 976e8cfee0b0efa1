# Scribbles (3%, simulated): partial CE + dense CRF loss (two-phase schedule).
# Same network, schedule, crops, batch and seed as configs/camvid/scribbles_pce.py.
_base_ = ['../camvid/scribbles_pce.py', './_regularisers_.py']
model = dict(losses=[dict(type='PartialCrossEntropy'), {{_base_.crf_loss}}])
